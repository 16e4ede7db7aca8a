import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter } from '../src/bytes';

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
