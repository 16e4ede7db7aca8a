import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeCiphertext, encodeHeader, parseCiphertext } from './ciphertext';
import { serializeEncryptionContext } from './encryption-context';
import { KmsError } from './errors';

// Case counts scale with STRONGROOM_FUZZ_RUNS (bench/fuzz sets 1,000,000); the defaults keep CI fast —
// the 10,000-case CI runs of these targets are in test/reliability/fuzz-parsers.test.ts.
const scaled = (base: number) => (process.env.STRONGROOM_FUZZ_RUNS ? Number(process.env.STRONGROOM_FUZZ_RUNS) : base);

describe('ciphertext blob', () => {
  it('round-trips header fields', () => {
    const header = encodeHeader('mrk-0123abcd', 7);
    const blob = encodeCiphertext(header, new Uint8Array(12).fill(1), new Uint8Array(5).fill(2), new Uint8Array(16).fill(3));
    const p = parseCiphertext(blob);
    expect(p).toMatchObject({ keyId: 'mrk-0123abcd', version: 7 });
    expect(p.header).toEqual(header);
    expect(p.ciphertext).toEqual(Buffer.alloc(5, 2));
    expect(p.tag).toEqual(Buffer.alloc(16, 3));
  });

  it('rejects arbitrary bytes with InvalidCiphertextException only (fuzzed)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 7000 }), (bytes) => {
        try {
          const p = parseCiphertext(bytes);
          // Anything accepted must be internally consistent.
          expect(p.header.length + 12 + p.ciphertext.length + 16).toBe(bytes.length);
        } catch (e) {
          expect(e).toBeInstanceOf(KmsError);
          expect((e as KmsError).type).toBe('InvalidCiphertextException');
        }
      }),
      { numRuns: scaled(2000) },
    );
  });

  it('rejects mutated valid blobs structurally or leaves them to authentication', () => {
    const valid = encodeCiphertext(encodeHeader('abc-123', 1), new Uint8Array(12), new Uint8Array(32), new Uint8Array(16));
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const t = Buffer.from(valid);
        t[i]! ^= x;
        try {
          parseCiphertext(t);
        } catch (e) {
          expect((e as KmsError).type).toBe('InvalidCiphertextException');
        }
      }),
    );
  });
});

describe('encryption context serialization', () => {
  it('is order-independent and injective on separators', () => {
    expect(serializeEncryptionContext({ a: '1', b: '2' })).toEqual(serializeEncryptionContext({ b: '2', a: '1' }));
    expect(serializeEncryptionContext({ ab: 'c' })).not.toEqual(serializeEncryptionContext({ a: 'bc' }));
    expect(serializeEncryptionContext(undefined)).toEqual(serializeEncryptionContext({}));
  });
});
