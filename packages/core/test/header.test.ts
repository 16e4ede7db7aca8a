/**
 * Header serialization against the strict parser: any context and any encrypted data keys written by
 * serializeHeaderBody parse back to the same fields (versions 1 and 2), and a field the format's u16
 * length or count cannot hold is refused rather than written truncated (a count of 65,536 EDKs used
 * to be written as 0 by a DataView's setUint16). The key section a parsed header gives the decryption
 * cache (keySectionOf) is exactly its context and EDKs as written.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { serializeEncryptionContext } from '../src/encryption-context';
import { CONTENT_FRAMED, keySectionOf, type MessageHeader, parseHeader, serializeHeaderBody } from '../src/header';
import type { EncryptedDataKey } from '../src/key-provider';
import { getSuite } from '../src/suites';

const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const edk = fc.record({ providerId: fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }), providerInfo: bytes(40), ciphertext: bytes(80) });
const context = fc.dictionary(fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }).filter((k) => !k.startsWith('aws-crypto-')), fc.string({ maxLength: 12, unit: 'grapheme' }), { maxKeys: 6 });

function header(version: 1 | 2, encryptionContext: Record<string, string>, encryptedDataKeys: EncryptedDataKey[]): MessageHeader {
  return {
    version,
    suite: getSuite(version === 2 ? 0x0478 : 0x0178),
    messageId: new Uint8Array(version === 2 ? 32 : 16).fill(7),
    encryptionContext: Object.assign(Object.create(null), encryptionContext),
    encryptedDataKeys,
    contentType: CONTENT_FRAMED,
    frameLength: 4096,
    commitment: version === 2 ? new Uint8Array(32).fill(9) : undefined,
  };
}

/** The body plus what follows it in a message (v1: IV and tag, v2: tag), so that the parser completes. */
function withAuth(version: 1 | 2, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + (version === 1 ? 28 : 16));
  out.set(body);
  return out;
}

describe('header key section', () => {
  it('any context and EDKs serialize to a body the strict parser reads back field for field (v1 and v2)', () => {
    fc.assert(
      fc.property(fc.constantFrom(1 as const, 2 as const), context, fc.array(edk, { minLength: 1, maxLength: 5 }), (version, ctx, edks) => {
        const h = header(version, ctx, edks);
        const parsed = parseHeader(withAuth(version, serializeHeaderBody(h)), { maxEncryptedDataKeys: 10 })!;
        expect(parsed.header.encryptedDataKeys).toEqual(edks);
        expect({ ...parsed.header.encryptionContext }).toEqual(ctx);
        expect(parsed.header.messageId).toEqual(h.messageId);
        expect(parsed.header.frameLength).toBe(4096);
        expect(parsed.header.commitment).toEqual(h.commitment);
        // The key section the decryption cache keys by: exactly context ‖ EDKs, each u16-length-prefixed.
        const u16 = (n: number) => Buffer.of(n >> 8, n & 0xff);
        const prefixed = (b: Uint8Array) => [u16(b.length), Buffer.from(b)];
        const expected = Buffer.concat([
          ...prefixed(serializeEncryptionContext(h.encryptionContext)),
          u16(edks.length),
          ...edks.flatMap((e) => [...prefixed(Buffer.from(e.providerId, 'utf8')), ...prefixed(e.providerInfo), ...prefixed(e.ciphertext)]),
        ]);
        expect(Buffer.from(keySectionOf(parsed)).equals(expected)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a provider id, info or ciphertext over 65535 bytes, and over 65535 EDKs, instead of writing a wrapped length', () => {
    const ok = { providerId: 'p', providerInfo: new Uint8Array(1), ciphertext: new Uint8Array(1) };
    const refused = (edks: EncryptedDataKey[], what: RegExp) =>
      expect(() => serializeHeaderBody(header(2, {}, edks))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(what) }));
    refused([{ ...ok, providerId: 'x'.repeat(65536) }], /EDK provider id is 65536; the format allows at most 65535/);
    refused([{ ...ok, providerInfo: new Uint8Array(65536) }], /EDK provider info is 65536/);
    refused([{ ...ok, ciphertext: new Uint8Array(70000) }], /EDK ciphertext is 70000/);
    refused(Array.from({ length: 65536 }, () => ok), /number of encrypted data keys is 65536/);
    // At the limit itself: written, and read back.
    const edge = [{ ...ok, ciphertext: new Uint8Array(65535).fill(1) }];
    expect(parseHeader(withAuth(2, serializeHeaderBody(header(2, {}, edge))), { maxEncryptedDataKeys: 10 })!.header.encryptedDataKeys).toEqual(edge);
  });
});
