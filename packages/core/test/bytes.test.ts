import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, utf8 } from '../src/bytes';

describe('ByteWriter', () => {
  it('grows across every field type without losing bytes', () => {
    const w = new ByteWriter(1);
    const expected: number[] = [];
    for (let i = 0; i < 5000; i++) {
      w.u8(i & 0xff).u16(i).u32(i * 65537).u64(i * 2 ** 33).bytes(Uint8Array.of(i & 0xff, 7));
    }
    const r = new ByteReader(w.finish());
    for (let i = 0; i < 5000; i++) {
      expected.push(i);
      expect([r.u8(), r.u16(), r.u32(), r.u64('x'), ...r.view_(2)]).toEqual([i & 0xff, i, (i * 65537) >>> 0, i * 2 ** 33, i & 0xff, 7]);
    }
    expect(r.remaining).toBe(0);
  });
});

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
