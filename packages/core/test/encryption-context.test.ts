import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createClient, parseEncryptionContext, RawAesKeyProvider, serializeEncryptionContext } from '../src/index';

const RUNS = Math.min(Number(process.env.STRONGROOM_FUZZ_RUNS ?? 2_000), 20_000);
/** Names that collide with Object.prototype members: every name-like generator includes them. */
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];
const contexts = fc.dictionary(
  fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((k) => !k.startsWith('aws-crypto-'))),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  { maxKeys: 40 },
);

function utf8Compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

describe('encryption context serialization', () => {
  it('round-trips any context and writes entries sorted by UTF-8 bytes', () => {
    fc.assert(
      fc.property(contexts, (context) => {
        const bytes = serializeEncryptionContext(context);
        expect(parseEncryptionContext(bytes)).toEqual(Object.assign(Object.create(null), context));
        if (Object.keys(context).length === 0) expect(bytes.length).toBe(0);
        // Re-read the keys in written order and check the sort.
        const keys: string[] = [];
        const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        let at = 2;
        for (let i = 0; i < Object.keys(context).length; i++) {
          const kl = view.getUint16(at);
          keys.push(Buffer.from(bytes.subarray(at + 2, at + 2 + kl)).toString('utf8'));
          at += 2 + kl;
          at += 2 + view.getUint16(at);
        }
        expect([...keys].sort(utf8Compare)).toEqual(keys);
      }),
      { numRuns: RUNS },
    );
  });

  it('serializes up to 65535 bytes and refuses one byte more, whatever field holds it', () => {
    // 2 (count) + 2 + 1 (key "k") + 2 + value: the value that makes exactly 65535 bytes.
    const fits = 'v'.repeat(65535 - 7);
    expect(serializeEncryptionContext({ k: fits }).length).toBe(65535);
    const refused: Array<Record<string, string>> = [{ k: `${fits}v` }, { [`${fits}vv`]: '' }, { k: 'é'.repeat(32765) }, { a: 'v'.repeat(40000), b: 'v'.repeat(40000) }];
    for (const context of refused) {
      expect(() => serializeEncryptionContext(context)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/serializes to \d+ bytes; at most 65535/) }));
    }
  });

  it('binds any context through encrypt/decrypt', async () => {
    const client = createClient({ keyProvider: RawAesKeyProvider({ namespace: 'ec', name: 'k', key: randomBytes(32) }) });
    await fc.assert(
      fc.asyncProperty(contexts, async (context) => {
        const { ciphertext } = await client.encrypt('x', { encryptionContext: context });
        const { header } = await client.decrypt(ciphertext, { expectedEncryptionContext: context });
        expect({ ...header.encryptionContext }).toEqual(context);
      }),
      { numRuns: Math.min(RUNS, 500) },
    );
  });
});
