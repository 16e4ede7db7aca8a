import { describe, expect, it } from 'vitest';
import { StrongroomError } from '@strongroom/core';
import { DEFAULT_HIT_RATE, DEFAULT_WORKLOAD, applyWorkload, parseCount, parseWorkloadText } from './workload-spec';

describe('workload spec', () => {
  it('accepts counts as 1e9, 1000000000 and 1_000_000_000', () => {
    for (const v of ['1e9', '1000000000', '1_000_000_000', 1e9]) expect(parseCount(v, 'opsPerMonth', 1, 1e13)).toBe(1e9);
    for (const v of ['1e99', '-5', '0x10', '1.5', 'NaN', '', 1.5, Infinity, null]) expect(() => parseCount(v, 'opsPerMonth', 1, 1e13)).toThrow(StrongroomError);
  });

  it('reads a file strictly: every field typed, unknown fields named, nothing added to prototypes', () => {
    const w = parseWorkloadText(
      JSON.stringify({ peakOpsPerSecond: 50, opsPerMonth: '2e8', messageBytes: 4096, cache: { hitRate: '95%' }, keys: 3, regions: ['eu-west-1', 'eu-central-1'], keyType: 'symmetric', requirements: { singleTenancy: true, keyHolder: 'own-hsm' } }),
      'w.json',
    );
    expect(w).toMatchObject({ peakOpsPerSecond: 50, opsPerMonth: 2e8, messageBytes: 4096, cache: { enabled: true, hitRate: 0.95 }, keys: 3, regions: ['eu-west-1', 'eu-central-1'] });
    expect(w.requirements).toEqual({ ...DEFAULT_WORKLOAD.requirements, singleTenancy: true, keyHolder: 'own-hsm' });
    const bad = [
      ['{"__proto__": {"polluted": 1}}', /unknown field "__proto__"/],
      ['{"requirements": {"constructor": true}}', /unknown field "constructor"/],
      ['{"cache": {"enabled": "yes"}}', /cache.enabled: expected true or false/],
      ['{"regions": []}', /regions: expected 1 to 32 Region codes/],
      ['{"keyType": "aes"}', /keyType: expected one of symmetric, rsa, ecc/],
      ['{"requirements": {"keyHolder": "bank"}}', /keyHolder: expected one of/],
      ['[1,2]', /expected an object/],
      ['{"peakOpsPerSecond": 0}', /peakOpsPerSecond: expected a whole number from 1/],
      ['not json', /not valid JSON/],
    ] as const;
    for (const [text, re] of bad) expect(() => parseWorkloadText(text, 'w.json')).toThrow(re);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(() => parseWorkloadText(`{"x":"${'a'.repeat(70_000)}"}`, 'w.json')).toThrow(/larger than 64 KiB/);
  });

  it('the cache: off means no hits; on without a rate means the default rate', () => {
    expect(applyWorkload(DEFAULT_WORKLOAD, { cache: { enabled: false, hitRate: 0.9 } }).cache).toEqual({ enabled: false, hitRate: 0 });
    expect(applyWorkload(DEFAULT_WORKLOAD, { cache: { enabled: true } }).cache).toEqual({ enabled: true, hitRate: DEFAULT_HIT_RATE });
    expect(applyWorkload(DEFAULT_WORKLOAD, { cache: { hitRate: 0 } }).cache).toEqual({ enabled: false, hitRate: 0 });
  });
});
