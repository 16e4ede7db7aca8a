import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64, utf8 } from '../src/bytes';

describe('utf8', () => {
  const encoder = new TextEncoder();

  it('gives TextEncoder\'s bytes for any string, on both sides of the short-ASCII path', () => {
    // 'binary' units include lone surrogates (TextEncoder writes U+FFFD for them); lengths cross 64.
    const strings = fc.oneof(fc.string({ unit: 'binary', maxLength: 140 }), fc.string({ unit: 'binary-ascii', maxLength: 140 }), fc.string({ unit: 'grapheme', maxLength: 80 }));
    fc.assert(
      fc.property(strings, (s) => {
        expect(utf8(s)).toEqual(encoder.encode(s));
      }),
      { numRuns: 5_000 },
    );
    for (let n = 0; n <= 130; n++) {
      const ascii = 'a~\u007f'.repeat(n).slice(0, n);
      expect(utf8(ascii)).toEqual(encoder.encode(ascii));
      // One non-ASCII character anywhere sends the whole string to TextEncoder: at each UTF-8 length
      // boundary, and lone surrogates.
      for (const other of ['\u0080', 'é', '\u00ff', '\u07ff', '\u0800', '\uffff', '\u{1F510}', '\ud800', '\udfff']) {
        for (const at of [0, n >> 1, n]) {
          const mixed = `${ascii.slice(0, at)}${other}${ascii.slice(at)}`;
          expect(utf8(mixed)).toEqual(encoder.encode(mixed));
        }
      }
    }
  });
});

/*
 * Base64 as the message format uses it (the signing key in the encryption context; PEM keys): RFC 4648
 * §4 with padding, written by `toBase64` exactly as Node's Buffer writes it, and read by `fromBase64`
 * strictly — one canonical string per byte string. Anything else (white space, a missing or extra pad,
 * pad bits that are not zero, characters outside the alphabet, a length of 4n + 1, which `atob` itself
 * refuses) is MALFORMED, never decoded loosely.
 */
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
