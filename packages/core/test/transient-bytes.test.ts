/**
 * The Node backend writes frames' AADs and new headers' bodies into slices of Node's shared Buffer
 * pool (`transientBytes`: a fresh ArrayBuffer above 64 bytes costs about a microsecond). A slice of
 * that pool shares its ArrayBuffer with whatever else the process allocated there, so none may reach
 * a caller: `.buffer` of such a chunk would expose other bytes of the process. Every output chunk of
 * every entry point is checked against every buffer transientBytes handed out, for each shape of
 * message (empty, one frame, frame boundary, many frames, non-framed, signed, a required key, the
 * worker pool).
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createClient, createDataKeyCache, nodeBackend, RawAesKeyProvider } from '../src/index';

const provider = RawAesKeyProvider({ namespace: 't', name: 'k', key: randomBytes(32) });

/**
 * nodeBackend's transientBytes, recording every slice it hands out, for the duration of `run` (the
 * default backend itself, since a worker pool requires it); `overlaps(chunk)`: does a chunk's memory
 * touch one of them?
 */
async function recordingTransients(run: (overlaps: (chunk: Uint8Array) => boolean) => Promise<void>): Promise<number> {
  const handedOut: Uint8Array[] = [];
  const original = nodeBackend.transientBytes!;
  const mutable = nodeBackend as { transientBytes?: (length: number) => Uint8Array };
  mutable.transientBytes = (length) => {
    const bytes = original(length);
    handedOut.push(bytes);
    return bytes;
  };
  // Same ArrayBuffer and overlapping byte ranges. (Sharing the pool's ArrayBuffer alone is not a
  // finding: Node's own streams hand out pool slices, e.g. when a read joins buffered chunks.)
  const overlaps = (chunk: Uint8Array) =>
    handedOut.some((t) => t.buffer === chunk.buffer && t.byteOffset < chunk.byteOffset + chunk.byteLength && chunk.byteOffset < t.byteOffset + t.byteLength);
  try {
    await run(overlaps);
  } finally {
    mutable.transientBytes = original;
  }
  return handedOut.length;
}

/** Every chunk as the stream pushed it ('data' events: an async iterator may join buffered chunks). */
function chunksOf(stream: NodeJS.ReadableStream): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (c: Uint8Array) => out.push(c));
    stream.on('end', () => resolve(out));
    stream.on('error', reject);
  });
}

describe('transient bytes (slices of Node’s Buffer pool) never reach a caller', () => {
  const shapes = [
    { name: 'empty', size: 0, options: {} },
    { name: 'one small frame', size: 100, options: {} },
    { name: 'exactly one frame', size: 4096, options: { frameLength: 4096 } },
    { name: 'many frames', size: 50_000, options: { frameLength: 4096 } },
    { name: 'non-framed', size: 3000, options: { frameLength: 0 } },
    { name: 'signed (0x0578)', size: 5000, options: { frameLength: 4096, suite: 0x0578 } },
    { name: 'with a required key and a cache', size: 700, options: { requiredEncryptionContextKeys: ['tenant'], cache: createDataKeyCache() } },
    { name: 'through a worker pool (over one batch)', size: 600_000, options: { parallelism: 1 } },
  ] as const;

  it.each(shapes)('$name: encrypt, encryptStream, decrypt and decryptStream', async ({ size, options }) => {
    const client = createClient({ keyProvider: provider, ...options });
    const plaintext = randomBytes(size);
    const encryptionContext = { tenant: 'acme', purpose: 'transient-test' };
    const reproduce = 'requiredEncryptionContextKeys' in options ? { encryptionContext: { tenant: 'acme' } } : {};
    const handedOut = await recordingTransients(async (overlaps) => {
      const outputs: Uint8Array[] = [];
      const { ciphertext } = await client.encrypt(plaintext, { encryptionContext });
      outputs.push(ciphertext);
      if (!('frameLength' in options && options.frameLength === 0)) {
        const streamed = await chunksOf(client.encryptStream(Readable.from([plaintext]), { encryptionContext }));
        outputs.push(...streamed);
        const opened = await chunksOf(client.decryptStream(Readable.from([Buffer.concat(streamed)]), reproduce));
        outputs.push(...opened);
        expect(Buffer.concat(opened).equals(plaintext)).toBe(true);
      }
      const { plaintext: back } = await client.decrypt(ciphertext, reproduce);
      outputs.push(back);
      expect(Buffer.from(back).equals(plaintext)).toBe(true);
      for (const chunk of outputs) expect(overlaps(chunk)).toBe(false);
    });
    // The mechanism was used, so the check above means something.
    expect(handedOut).toBeGreaterThan(0);
  });

  it('the Node backend gives fresh memory, not the pool, from 4 KiB up (a stream passes such pieces on uncopied)', () => {
    const small = nodeBackend.transientBytes!(78);
    const large = nodeBackend.transientBytes!(4096);
    expect(small.buffer.byteLength).toBeGreaterThan(small.byteLength); // a slice of the pool
    expect(large.buffer.byteLength).toBe(4096);
    expect(large.byteOffset).toBe(0);
  });
});
