import fc from 'fast-check';
import { StrongroomError } from '@strongroom/core';
import { describe, expect, it } from 'vitest';
import { createFrameReader, decodeFrameBody, encodeFrame, FRAME_REQUEST, FRAME_RESPONSE, MAX_FRAME_BYTES, type Frame, type WireValue } from './codec';

const body = (f: Buffer) => f.subarray(4);
// Fuzz case count: ≥ 10,000 in CI; bench/fuzz sets STRONGROOM_FUZZ_RUNS=1000000.
const RUNS = Number(process.env.STRONGROOM_FUZZ_RUNS ?? 10_000);

describe('wire codec', () => {
  it('round-trips every value type', () => {
    const v: WireValue = { op: 'aes.gcmEncrypt', args: { handle: 'ab', plaintext: Buffer.from([1, 2, 3]), n: 42.5, t: true, f: false, z: null, list: ['x', 1, [Buffer.alloc(0)]], ü: 'ünïcode' } };
    const f = decodeFrameBody(body(encodeFrame(FRAME_REQUEST, 7, v)));
    expect(f).toEqual({ kind: FRAME_REQUEST, id: 7, value: v });
  });

  it('reassembles frames split at every byte boundary and batched together', () => {
    const frames = [encodeFrame(FRAME_REQUEST, 1, { a: 'x' }), encodeFrame(FRAME_RESPONSE, 2, Buffer.alloc(300, 9)), encodeFrame(FRAME_REQUEST, 3, [1, 2])];
    const all = Buffer.concat(frames);
    for (let cut = 1; cut < all.length; cut += 7) {
      const got: Frame[] = [];
      const r = createFrameReader((f) => got.push(f));
      r.push(all.subarray(0, cut));
      r.push(all.subarray(cut));
      expect(got.map((f) => f.id)).toEqual([1, 2, 3]);
    }
  });

  it('rejects a declared frame length above the cap before buffering it', () => {
    const r = createFrameReader(() => undefined);
    const hdr = Buffer.alloc(4);
    hdr.writeUInt32BE(MAX_FRAME_BYTES + 1);
    expect(() => r.push(hdr)).toThrow(/exceeds cap/);
  });

  it('rejects bad version, kind, tags, truncation, trailing bytes, duplicate and __proto__ keys, deep nesting', () => {
    const good = body(encodeFrame(FRAME_REQUEST, 1, { a: 1 }));
    const bad = (mut: (b: Buffer) => Buffer) => () => decodeFrameBody(mut(Buffer.from(good)));
    expect(bad((b) => ((b[0] = 9), b))).toThrow(/version/);
    expect(bad((b) => ((b[1] = 9), b))).toThrow(/kind/);
    expect(bad((b) => ((b[6] = 99), b))).toThrow(/tag/);
    expect(bad((b) => b.subarray(0, b.length - 1))).toThrow(/truncated/);
    expect(bad((b) => Buffer.concat([b, Buffer.from([0])]))).toThrow(/trailing/);
    const dup = Buffer.from([1, 1, 0, 0, 0, 1, 7, 0, 0, 0, 2, 0, 0, 0, 1, 0x61, 0, 0, 0, 0, 1, 0x61, 0]);
    expect(() => decodeFrameBody(dup)).toThrow(/duplicate/);
    const proto = Buffer.from([1, 1, 0, 0, 0, 1, 7, 0, 0, 0, 1, 0, 0, 0, 9, ...Buffer.from('__proto__'), 0]);
    expect(() => decodeFrameBody(proto)).toThrow(/bad or duplicate/);
    let deep: WireValue = 1;
    for (let i = 0; i < 20; i++) deep = [deep];
    expect(() => encodeFrame(FRAME_REQUEST, 1, deep)).toThrow(/deeply/);
    const huge = Buffer.from([1, 1, 0, 0, 0, 1, 6, 0xff, 0xff, 0xff, 0xff]);
    expect(() => decodeFrameBody(huge)).toThrow(/exceeds cap/);
    const lying = Buffer.from([1, 1, 0, 0, 0, 1, 6, 0, 0, 0x10, 0]);
    expect(() => decodeFrameBody(lying)).toThrow(/truncated/);
  });

  it(`fuzz: arbitrary bytes either decode or throw a typed error, never anything else (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          decodeFrameBody(bytes);
        } catch (e) {
          expect(StrongroomError.isInstance(e)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`fuzz: mutated valid frames never crash the reader (${RUNS} cases)`, () => {
    const base = encodeFrame(FRAME_REQUEST, 5, { op: 'x', args: { b: Buffer.alloc(20, 1), s: 'abc', l: [1, true, null] } });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), (muts) => {
        const b = Buffer.from(base);
        for (const [i, v] of muts) b[i] = v;
        const r = createFrameReader(() => undefined, 1 << 16);
        try {
          r.push(b);
        } catch (e) {
          expect(StrongroomError.isInstance(e)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('one malformed request does not cost the connection', () => {
  it('the encoder refuses NaN locally', () => {
    expect(() => encodeFrame(FRAME_REQUEST, 1, { op: 'random', args: { length: Number.NaN } })).toThrow(/NaN/);
  });

  it('a frame with an undecodable value is reported for its id; the next frame still decodes', () => {
    const good = encodeFrame(FRAME_REQUEST, 8, { op: 'random', args: { length: 4 } });
    // Same layout as a number frame, with the float64 bytes of NaN (the encoder would refuse it).
    const bad = Buffer.from(encodeFrame(FRAME_REQUEST, 7, { n: 1 }));
    bad.writeDoubleBE(Number.NaN, bad.length - 8);
    const frames: number[] = [];
    const badIds: Array<[number, string]> = [];
    const reader = createFrameReader((f) => frames.push(f.id), undefined, (id, e) => badIds.push([id, e.code]));
    reader.push(Buffer.concat([bad, good]));
    expect(badIds).toEqual([[7, 'MALFORMED']]);
    expect(frames).toEqual([8]);
    // Without the callback a bad value still throws (e.g. on the client side).
    expect(() => createFrameReader(() => {}).push(bad)).toThrow(/NaN/);
  });
});
