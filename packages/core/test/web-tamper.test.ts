/**
 * Attacks on the web entry (built dist/web.mjs): every altered byte, every truncation, trailing
 * bytes, an altered frame in the middle of a stream (nothing of it, nor after it, is released), a
 * forged frame length, foreign chunks, abort — each ends in a typed StrongroomError, never a crash.
 */
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../src/bytes';
import { endlessUntilAborted, random, readAll, streamOf, web } from './web-entry';

const key = random(32);
const provider = web.RawAesKeyProvider({ namespace: 't', name: 'k', key });
const FRAME = 64;
const typed = (code?: string) => (e: unknown) => web.StrongroomError.isInstance(e, code as never);

async function rejectsTyped(run: () => Promise<unknown>, code?: string): Promise<void> {
  await expect(run()).rejects.toSatisfy(typed(code));
}

describe('web entry under attack', () => {
  for (const suite of [0x0478, 0x0578, 0x0178]) {
    const policy = suite === 0x0178 ? web.CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT : web.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT;
    const client = web.createClient({ keyProvider: provider, suite, frameLength: FRAME, commitmentPolicy: policy });
    const plaintext = random(3 * FRAME + 10);

    it(`${suite.toString(16)}: any altered byte is rejected (one-shot), any truncation or trailing byte too`, async () => {
      const { ciphertext } = await client.encrypt(plaintext, { encryptionContext: { a: 'b' } });
      for (let i = 0; i < ciphertext.length; i++) {
        const copy = new Uint8Array(ciphertext);
        copy[i]! ^= 1 << i % 8;
        await rejectsTyped(() => client.decrypt(copy));
      }
      for (let n = 0; n < ciphertext.length; n += 3) await rejectsTyped(() => client.decrypt(ciphertext.subarray(0, n)), 'MALFORMED');
      const trailing = new Uint8Array(ciphertext.length + 1);
      trailing.set(ciphertext);
      await rejectsTyped(() => client.decrypt(trailing), 'MALFORMED');
      await rejectsTyped(() => readAll(client.decryptStream(streamOf(trailing, 100)).readable), 'MALFORMED');
    });

    it(`${suite.toString(16)}: a stream releases the frames before an altered one and nothing after`, async () => {
      const { ciphertext, header } = await client.encrypt(plaintext);
      expect(header.frameLength).toBe(FRAME);
      // Alter a byte of the second frame's ciphertext.
      const frameStart = (i: number) => headerLengthOf(ciphertext) + i * (16 + FRAME + 16);
      const copy = new Uint8Array(ciphertext);
      copy[frameStart(1) + 16 + 5]! ^= 0x01;
      const released: Uint8Array[] = [];
      const reader = client.decryptStream(streamOf(copy, 40)).readable.getReader();
      let failure: unknown;
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          released.push(value);
        }
      } catch (e) {
        failure = e;
      }
      expect(web.StrongroomError.isInstance(failure, 'AUTHENTICATION_FAILED')).toBe(true);
      const out = new Uint8Array(Buffer.concat(released));
      expect(out.length).toBeLessThanOrEqual(FRAME);
      expect(out).toEqual(plaintext.subarray(0, out.length));
    });
  }

  it('a forged frame length beyond maxFrameLength is refused before anything is buffered', async () => {
    const big = web.createClient({ keyProvider: provider, frameLength: 2 ** 20 });
    const { ciphertext } = await big.encrypt(random(10));
    const capped = web.createClient({ keyProvider: provider, maxFrameLength: 4096 });
    await rejectsTyped(() => readAll(capped.decryptStream(ciphertext).readable), 'LIMIT_EXCEEDED');
  });

  it('foreign chunks, a wrong key, an abort: typed errors', async () => {
    const client = web.createClient({ keyProvider: provider });
    const { ciphertext } = await client.encrypt(random(100));
    const stream = client.encryptStream();
    const writer = stream.writable.getWriter();
    void writer.write(42 as never).catch(() => undefined);
    await rejectsTyped(() => readAll(stream.readable), 'INVALID_ARGUMENT');
    await rejectsTyped(() => stream.header, 'INVALID_ARGUMENT');
    await rejectsTyped(() => client.encrypt(42 as never), 'INVALID_ARGUMENT');
    const stranger = web.createClient({ keyProvider: web.RawAesKeyProvider({ namespace: 't', name: 'k', key: random(32) }) });
    await rejectsTyped(() => stranger.decrypt(ciphertext), 'NO_DECRYPTION_KEY');
    await rejectsTyped(() => readAll(stranger.decryptStream(ciphertext).readable), 'NO_DECRYPTION_KEY');
    const controller = new AbortController();
    const endless = endlessUntilAborted(controller);
    await rejectsTyped(() => readAll(endless.pipeThrough(client.encryptStream({ abortSignal: controller.signal }))), 'ABORTED');
  });

  it('reads the signing key as strict base64: a non-canonical aws-crypto-public-key is MALFORMED, not decoded loosely', () => {
    const point = random(49);
    const text = toBase64(point);
    expect(fromBase64(text, 'k')).toEqual(point);
    // Buffer.from(…, 'base64') (the old decoder) accepts all of these and returns some bytes.
    for (const loose of [`${text}\n`, ` ${text}`, text.replace(/=+$/, ''), `${text.slice(0, -3)}P==`, `-${text.slice(1)}`, `${text}====`]) {
      expect(Buffer.from(loose, 'base64').length).toBeGreaterThan(0);
      expect(() => fromBase64(loose, 'k')).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
    }
  });
});

/** Header length of a framed message written by this client (parsed, not assumed). */
function headerLengthOf(message: Uint8Array): number {
  const parsed = web.parseHeader(message, { maxEncryptedDataKeys: 10 });
  if (!parsed) throw new Error('no header');
  return parsed.length;
}
