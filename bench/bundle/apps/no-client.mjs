// Not an API: a lower bound for the Strongroom app (./strongroom.mjs). The same round trip (raw AES key,
// a file streamed through encryption and back, suite 0x0478, commitment required both ways, the
// context checked on decrypt) built straight from core's message machinery, with none of the client
// around it: no option checks, no data-key cache, no worker pool, no required-context keys, no
// buffer API, no abort, and a bare TransformStream. What the client adds is the difference.
import { toAsyncBackend } from '../../../packages/core/src/async-backend.ts';
import { checkDecryptSuite, checkEncryptSuite, checkPolicy } from '../../../packages/core/src/commitment-policy.ts';
import { checkCallerContext, checkExpectedContext } from '../../../packages/core/src/encryption-context.ts';
import { generateMaterials, unwrapDataKey } from '../../../packages/core/src/materials.ts';
import { SUITES } from '../../../packages/core/src/suites.ts';
import { webBackend } from '../../../packages/core/src/web-backend.ts';
import { AsyncMessageDecoder } from '../../../packages/core/src/web-decoder.ts';
import { AsyncMessageEncoder } from '../../../packages/core/src/web-encoder.ts';
import { RawAesKeyProvider } from '../../../packages/core/src/web.ts';

const backend = toAsyncBackend(webBackend);

/** A TransformStream whose every chunk (undefined at the end) goes through `step`. */
function stream(step) {
  const run = async (chunk, controller) => (await step(chunk)).forEach((piece) => controller.enqueue(piece));
  return new TransformStream({ transform: (chunk, c) => run(chunk, c), flush: (c) => run(undefined, c) });
}

export function roundTrip(keyBytes, file) {
  const provider = RawAesKeyProvider({ namespace: 'app', name: 'key-1', key: keyBytes });
  const suite = SUITES.get(0x0478);
  const policy = checkPolicy('REQUIRE_ENCRYPT_REQUIRE_DECRYPT');
  checkEncryptSuite(policy, suite);
  const context = checkCallerContext({ purpose: 'bundle-bench' });
  let encoder;
  const encrypted = file.stream().pipeThrough(
    stream(async (chunk) => {
      const out = [];
      if (!encoder) {
        const materials = await generateMaterials([provider], suite, context, [], backend, undefined);
        encoder = await AsyncMessageEncoder.create({ backend, frameLength: 65536, ...materials });
        out.push(...(await encoder.start()));
      }
      out.push(...(chunk ? await encoder.update(chunk) : await encoder.final()));
      return out;
    }),
  );
  const decoder = new AsyncMessageDecoder({ backend, maxEncryptedDataKeys: 10, maxFrameLength: 2 ** 24 });
  let opened = false;
  return encrypted.pipeThrough(
    stream(async (chunk) => {
      if (!chunk) return decoder.end();
      decoder.write(chunk);
      if (!opened) {
        const parsed = decoder.readHeader();
        if (!parsed) return [];
        const { suite: found, encryptionContext, encryptedDataKeys } = parsed.header;
        checkDecryptSuite(policy, found);
        checkExpectedContext(encryptionContext, context);
        const dataKey = await unwrapDataKey([provider], found, encryptionContext, encryptedDataKeys, undefined);
        await decoder.begin(dataKey);
        dataKey.fill(0);
        opened = true;
      }
      return decoder.read();
    }),
  );
}
