import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../src/bytes';

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
