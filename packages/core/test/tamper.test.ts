/**
 * Tampering: every single-bit flip and every truncation of a 3-frame message is rejected with a
 * typed error, for an unsigned (0x0478) and a signed (0x0578) message, one-shot and streaming.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createClient, RawAesKeyProvider, StrongroomError } from '../src/index';

const provider = RawAesKeyProvider({ namespace: 'tamper', name: 'k', key: randomBytes(32) });
const context = { object: 'invoice-42' };

async function expectTypedRejection(run: () => Promise<unknown>, what: string): Promise<void> {
  let error: unknown;
  try {
    await run();
  } catch (e) {
    error = e;
  }
  if (!StrongroomError.isInstance(error)) throw new Error(`${what}: expected a StrongroomError, got ${error === undefined ? 'success' : String(error)}`);
}

async function drain(stream: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const chunk of stream) n += (chunk as Uint8Array).length;
  return n;
}

for (const suite of [0x0478, 0x0578]) {
  describe(`tampering with a 3-frame ${suite.toString(16)} message`, () => {
    const client = createClient({ keyProvider: provider, suite, frameLength: 64 });
    const plaintext = randomBytes(64 * 2 + 17); // two regular frames + a final frame

    it('has 3 frames and decrypts untouched', async () => {
      const { ciphertext } = await client.encrypt(plaintext, { encryptionContext: context });
      expect(Buffer.from((await client.decrypt(ciphertext)).plaintext).equals(plaintext)).toBe(true);
    });

    it('rejects every single-bit flip (one-shot)', async () => {
      const { ciphertext } = await client.encrypt(plaintext, { encryptionContext: context });
      let cases = 0;
      for (let i = 0; i < ciphertext.length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const copy = new Uint8Array(ciphertext);
          copy[i]! ^= 1 << bit;
          await expectTypedRejection(() => client.decrypt(copy), `flip byte ${i} bit ${bit}`);
          cases++;
        }
      }
      expect(cases).toBe(ciphertext.length * 8);
    });

    it('rejects every truncation (one-shot) and every truncation of the stream', async () => {
      const { ciphertext } = await client.encrypt(plaintext, { encryptionContext: context });
      for (let n = 0; n < ciphertext.length; n++) {
        await expectTypedRejection(() => client.decrypt(ciphertext.subarray(0, n)), `truncate to ${n}`);
        await expectTypedRejection(() => drain(client.decryptStream(ciphertext.subarray(0, n))), `stream truncated to ${n}`);
      }
    });

    it('never releases the final frame of a tampered stream', async () => {
      const { ciphertext } = await client.encrypt(plaintext, { encryptionContext: context });
      // Flip a bit in the last byte (the signature for 0578, the final frame tag for 0478).
      const copy = new Uint8Array(ciphertext);
      copy[copy.length - 1]! ^= 1;
      let released = 0;
      await expectTypedRejection(async () => {
        for await (const chunk of client.decryptStream(copy)) released += (chunk as Uint8Array).length;
      }, 'tampered tail');
      // The two regular frames authenticated and may be released; the final frame must not be.
      expect(released).toBeLessThanOrEqual(128);
    });

    it('rejects trailing bytes', async () => {
      const { ciphertext } = await client.encrypt(plaintext, { encryptionContext: context });
      await expectTypedRejection(() => client.decrypt(Buffer.concat([ciphertext, Buffer.from([0])])), 'trailing byte');
    });
  });
}

describe('swapping parts between messages', () => {
  it('rejects a message whose encrypted data key comes from another message', async () => {
    const client = createClient({ keyProvider: provider, frameLength: 64 });
    const a = await client.encrypt('message A', { encryptionContext: context });
    const b = await client.encrypt('message B', { encryptionContext: context });
    // Both headers have the same layout: swap the EDK bytes (provider info IV + wrapped key).
    const { parseHeader, serializeHeaderBody } = await import('../src/index');
    const ha = parseHeader(a.ciphertext, { maxEncryptedDataKeys: 10 })!;
    const hb = parseHeader(b.ciphertext, { maxEncryptedDataKeys: 10 })!;
    const body = serializeHeaderBody({ ...ha.header, encryptedDataKeys: hb.header.encryptedDataKeys });
    const swapped = Buffer.concat([body, a.ciphertext.subarray(ha.headerBody.length)]);
    await expectTypedRejection(() => client.decrypt(swapped), 'swapped EDK');
  });
});
