import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeProviderInfo, parseProviderInfo } from '../src/index';

// Fuzz case count: ≥ 10,000 in CI; bench/fuzz sets STRONGROOM_FUZZ_RUNS=1000000.
const RUNS = Number(process.env.STRONGROOM_FUZZ_RUNS ?? 10_000);
const iv = Uint8Array.from({ length: 12 }, (_, i) => i + 1);

describe('HSM providerInfo layout', () => {
  it('encodes the documented byte layout', () => {
    const bytes = encodeProviderInfo({ backendId: 'ab', keyLabel: 'k€', iv });
    expect(Buffer.from(bytes).toString('hex')).toBe(
      '01' + '0002' + '6162' + '0004' + '6be282ac' + '10' + '0c' + Buffer.from(iv).toString('hex'),
    );
    expect(parseProviderInfo(bytes)).toEqual({ backendId: 'ab', keyLabel: 'k€', iv });
  });

  it('encodes version 2 with the exact key (handle and owner)', () => {
    const bytes = encodeProviderInfo({ backendId: 'ab', keyLabel: 'k', keyHandle: '0f', keyOwner: 'app', iv });
    expect(Buffer.from(bytes).toString('hex')).toBe(
      '02' + '0002' + '6162' + '0001' + '6b' + '0002' + '3066' + '0003' + '617070' + '10' + '0c' + Buffer.from(iv).toString('hex'),
    );
    expect(parseProviderInfo(bytes)).toEqual({ backendId: 'ab', keyLabel: 'k', keyHandle: '0f', keyOwner: 'app', iv });
    for (let n = 0; n < bytes.length; n++) expect(() => parseProviderInfo(bytes.subarray(0, n))).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
    expect(() => parseProviderInfo(Uint8Array.of(...bytes, 0))).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
    expect(() => encodeProviderInfo({ backendId: 'ab', keyLabel: 'k', keyHandle: '0f', iv })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('round-trips arbitrary ids and labels', () => {
    const field = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' });
    fc.assert(
      fc.property(field, field, fc.uint8Array({ minLength: 12, maxLength: 12 }), (backendId, keyLabel, v) => {
        expect(parseProviderInfo(encodeProviderInfo({ backendId, keyLabel, iv: v }))).toEqual({ backendId, keyLabel, iv: v });
      }),
      { numRuns: RUNS },
    );
  });

  it('rejects every truncation, extension and wrong header field', () => {
    const good = encodeProviderInfo({ backendId: 'cluster-1', keyLabel: 'kek', iv });
    for (let n = 0; n < good.length; n++) expect(() => parseProviderInfo(good.subarray(0, n))).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
    expect(() => parseProviderInfo(Uint8Array.of(...good, 0))).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
    const mutate = (i: number, v: number) => {
      const b = Uint8Array.from(good);
      b[i] = v;
      return b;
    };
    expect(() => parseProviderInfo(mutate(0, 3))).toThrow(/version/);
    // A version-1 body read as version 2 has no handle/owner fields: malformed, never misread.
    expect(() => parseProviderInfo(mutate(0, 2))).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
    expect(() => parseProviderInfo(mutate(2, 10))).toThrow(expect.objectContaining({ code: 'MALFORMED' })); // id length
    expect(() => parseProviderInfo(mutate(2, 0))).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
    const tagAt = 1 + 2 + 9 + 2 + 3;
    expect(() => parseProviderInfo(mutate(tagAt, 12))).toThrow(/tag\/IV/);
    expect(() => parseProviderInfo(mutate(tagAt + 1, 16))).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
    expect(() => parseProviderInfo(mutate(3, 0xff))).toThrow(/UTF-8/); // invalid UTF-8 in the id
    // An overlong UTF-8 encoding of "/" (C0 AF) is rejected, not normalized.
    const overlong = Uint8Array.from([1, 0, 2, 0xc0, 0xaf, 0, 1, 0x6b, 16, 12, ...iv]);
    expect(() => parseProviderInfo(overlong)).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
  });

  it('refuses to encode empty or oversized fields and wrong IVs', () => {
    expect(() => encodeProviderInfo({ backendId: '', keyLabel: 'k', iv })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => encodeProviderInfo({ backendId: 'x'.repeat(256), keyLabel: 'k', iv })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => encodeProviderInfo({ backendId: 'b', keyLabel: 'k'.repeat(257), iv })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => encodeProviderInfo({ backendId: 'b', keyLabel: 'k', iv: new Uint8Array(16) })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
