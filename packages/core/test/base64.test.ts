/**
 * Base64 as the message format uses it (the signing key in the encryption context; PEM keys): RFC 4648
 * §4 with padding, written by `toBase64` exactly as Node's Buffer writes it, and read by `fromBase64`
 * strictly — one canonical string per byte string. Anything else (white space, a missing or extra pad,
 * pad bits that are not zero, characters outside the alphabet, a length of 4n + 1, which `atob` itself
 * refuses) is MALFORMED, never decoded loosely.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../src/bytes';

const malformed = expect.objectContaining({ code: 'MALFORMED', message: 'k is not canonical base64' });

describe('base64', () => {
  it('writes what Buffer writes and reads it back, for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = toBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(fromBase64(text, 'k')).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('reads a string only if it is the canonical encoding of what it decodes to', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=- \n_.';
    const text = fc.array(fc.constantFrom(...alphabet), { maxLength: 24 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(text, (t) => {
        const canonical = Buffer.from(t, 'base64').toString('base64') === t;
        if (canonical) expect(toBase64(fromBase64(t, 'k'))).toBe(t);
        else expect(() => fromBase64(t, 'k')).toThrow(malformed);
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['a length of 4n + 1', 'QUJDR'],
    ['a missing pad', 'QUI'],
    ['an extra pad', 'QUI=='],
    ['pad bits that are not zero', 'QUJ='],
    ['a pad in the middle', 'QQ==QUJD'],
    ['white space', 'QUJD\n'],
    ['the URL-safe alphabet', 'Pz8_'],
    ['a non-ASCII character', 'QUJ\u00c9'],
  ])('refuses %s', (_what, text) => {
    expect(() => fromBase64(text, 'k')).toThrow(malformed);
  });
});
