import { describe, expect, it } from 'vitest';
import { StrongroomError } from '@strongroom/core';
import { DEFAULT_PRICES, hsmHourIn, mergePrices, monthlyCost } from './pricing';

describe('cost model', () => {
  const usage = { requestsPerMonth: 10_000_000, keys: 10, hsmCount: 2 };
  it('prices KMS by keys and requests, HSMs by the hour', () => {
    // 10 keys × $1 + 20M requests × $0.03/10k = 10 + 60
    expect(monthlyCost('kms', 2, usage, DEFAULT_PRICES)).toMatchObject({ fixedPerMonth: 10, requestsPerMonth: 60, totalPerMonth: 70 });
    // 2 × $1.45 × 730 h
    expect(monthlyCost('hsm', 3, usage, DEFAULT_PRICES).totalPerMonth).toBe(2117);
    // custom key store: at least 2 HSMs, plus KMS keys and requests
    expect(monthlyCost('cks', 2, { ...usage, hsmCount: 1 }, DEFAULT_PRICES).totalPerMonth).toBe(2117 + 10 + 60);
  });

  it('takes overrides strictly and records that the source changed', () => {
    const p = mergePrices({ cloudHsmHour: 2 });
    expect(p.cloudHsmHour).toBe(2);
    expect(p.source).toMatch(/overridden/);
    expect(monthlyCost('hsm', 0, usage, p).totalPerMonth).toBe(2 * 2 * 730);
    for (const bad of [{ cloudHsmHour: -1 }, { nope: 1 }, [], 'x', { kmsKeyMonth: '1' }, { cloudHsmHour: Infinity }, { region: 'Mars' }, { cloudHsmHourByRegion: { __proto__x: 1 } }, { cloudHsmHourByRegion: { 'eu-west-1': -2 } }, JSON.parse('{"__proto__": {"kmsKeyMonth": 0}}')]) {
      expect(() => mergePrices(bad)).toThrow(StrongroomError);
    }
    expect(DEFAULT_PRICES.kmsKeyMonth).toBe(1);
  });

  it('prices HSMs by Region; a Region without a recorded price uses the flat one and says so', () => {
    const p = mergePrices({ cloudHsmHourByRegion: { 'eu-central-1': 2 } });
    expect(hsmHourIn(p, 'eu-central-1')).toEqual({ usd: 2, recorded: true });
    expect(hsmHourIn(p, 'us-east-1')).toEqual({ usd: 1.45, recorded: true });
    expect(hsmHourIn(p, 'sa-east-1')).toEqual({ usd: 1.45, recorded: false });
    expect(hsmHourIn(p, 'toString')).toEqual({ usd: 1.45, recorded: false }); // no inherited keys
    // every default figure names its page and the day it was read
    for (const s of DEFAULT_PRICES.sources) {
      expect(s.url).toMatch(/^https:\/\/aws\.amazon\.com\//);
      expect(s.readOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });
});
