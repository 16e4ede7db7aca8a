import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, mergeLimits } from './limits';
import { breakEvens, costOf, scenarioOf } from './model';
import { DEFAULT_PRICES, mergePrices } from './pricing';
import { recommend } from './recommend';
import { DEFAULT_WORKLOAD, type Requirements, type Workload } from './workload-spec';

const P = mergePrices(undefined);
const L = mergeLimits(undefined);

function wl(over: Partial<Omit<Workload, 'requirements'>> & { requirements?: Partial<Requirements> } = {}): Workload {
  const { requirements, ...rest } = over;
  return { ...DEFAULT_WORKLOAD, ...rest, requirements: { ...DEFAULT_WORKLOAD.requirements, ...requirements } };
}

describe('recommend: workloads whose right answer is known', () => {
  it('1M operations a month and no compliance need → KMS, for about $13 (10 keys + requests above the free tier)', () => {
    const r = recommend(wl({ opsPerMonth: 1_000_000, peakOpsPerSecond: 10 }), P, L);
    expect(r.choice).toBe('kms');
    expect(r.meetsAll).toBe(true);
    // 10 × $1 + (1,000,000 − 20,000) / 10,000 × $0.03
    expect(r.assessments.find((a) => a.backend === 'kms')!.cost.totalPerMonth).toBe(12.94);
    expect(r.reasons.join('\n')).toMatch(/cheapest that meets every requirement/);
    // what would change it: the requirements that rule KMS out, each with what it would pick
    expect(r.whatWouldChangeIt.join('\n')).toMatch(/single tenancy required: HSM cluster/);
    // only changes that change the answer are listed: KMS integrates with AWS services anyway
    expect(r.whatWouldChangeIt.join('\n')).not.toMatch(/AWS service integration required/);
  });

  it('FIPS 140-3 Level 3 alone does not rule KMS out (its HSMs are Level 3)', () => {
    const r = recommend(wl({ requirements: { fips140Level3: true } }), P, L);
    expect(r.choice).toBe('kms');
    expect(r.reasons.join('\n')).toMatch(/FIPS 140-3 Level 3 does not decide/);
  });

  it('FIPS Level 3 + single tenancy → the HSM cluster; add AWS service integration → the custom key store', () => {
    const hsm = recommend(wl({ requirements: { fips140Level3: true, singleTenancy: true } }), P, L);
    expect(hsm.choice).toBe('hsm');
    expect(hsm.reasons.join('\n')).toMatch(/not KMS: single tenancy/);
    const cks = recommend(wl({ requirements: { fips140Level3: true, singleTenancy: true, awsIntegration: true } }), P, L);
    expect(cks.choice).toBe('cks');
    expect(cks.meetsAll).toBe(true);
    expect(cks.reasons.join('\n')).toMatch(/not HSM cluster: AWS service integration/);
    // the store costs the cluster plus KMS
    const c = cks.assessments.find((a) => a.backend === 'cks')!.cost;
    expect(c.totalPerMonth).toBeCloseTo(c.hsmsPerMonth + c.keysPerMonth + c.requestsPerMonth, 2);
    expect(c.hsms).toBeGreaterThanOrEqual(2);
  });

  it('a peak above the custom-key-store limit → not the custom key store; a cache that brings it under → the store again', () => {
    const req = { singleTenancy: true, awsIntegration: true } as const;
    const over = recommend(wl({ peakOpsPerSecond: 5000, requirements: req }), P, L);
    expect(over.choice).not.toBe('cks');
    expect(over.meetsAll).toBe(false); // nothing else integrates with AWS services and is single-tenant
    const cks = over.assessments.find((a) => a.backend === 'cks')!;
    expect(cks.eligible).toBe(false);
    expect(cks.blockers.join('\n')).toMatch(/5,000\/s above the store's 1,200\/s/);
    const cached = recommend(wl({ peakOpsPerSecond: 5000, cache: { enabled: true, hitRate: 0.9 }, requirements: req }), P, L);
    expect(cached.choice).toBe('cks');
    expect(cached.whatWouldChangeIt.join('\n')).toMatch(/peak above 1,200\/s/);
  });

  it('PKCS#11 access → the HSM cluster; PKCS#11 + AWS services → the custom key store on a shared cluster', () => {
    expect(recommend(wl({ requirements: { pkcs11: true } }), P, L).choice).toBe('hsm');
    const both = recommend(wl({ requirements: { pkcs11: true, awsIntegration: true } }), P, L);
    expect(both.choice).toBe('cks');
    expect(both.reasons.join('\n')).toMatch(/PKCS#11\/JCE applications use the same cluster directly/);
  });

  it('keys only you may use → not KMS, not the custom key store', () => {
    const r = recommend(wl({ requirements: { keyHolder: 'only-us', awsIntegration: false } }), P, L);
    expect(r.choice).toBe('hsm');
    expect(r.assessments.find((a) => a.backend === 'cks')!.blockers.join()).toMatch(/on your behalf/);
  });

  it('RSA keys rule the custom key store out and use the lower RSA quota', () => {
    const r = recommend(wl({ keyType: 'rsa', peakOpsPerSecond: 2000, requirements: { awsIntegration: true } }), P, L);
    expect(r.choice).toBe('kms');
    expect(r.assessments.find((a) => a.backend === 'cks')!.blockers.join()).toMatch(/symmetric/);
    const kms = r.assessments.find((a) => a.backend === 'kms')!;
    expect(kms.capacity.limitRps).toBe(1000);
    expect(kms.warnings.join()).toMatch(/request an increase/);
  });

  it('volume decides between KMS and the cluster: uncached 2B/month → HSM; a 90 % cache hit rate → KMS again', () => {
    const big = wl({ opsPerMonth: 2_000_000_000, peakOpsPerSecond: 1000 });
    const r = recommend(big, P, L);
    expect(r.choice).toBe('hsm');
    expect(r.whatWouldChangeIt.join('\n')).toMatch(/cache hit rate of [\d.]+ % or more makes KMS the cheaper one/);
    expect(recommend({ ...big, cache: { enabled: true, hitRate: 0.9 } }, P, L).choice).toBe('kms');
  });

  it('the cache hit rate moves the KMS/HSM break-even up by about 1 / (1 − hit rate)', () => {
    const s = scenarioOf(wl({ opsPerMonth: 100_000_000, peakOpsPerSecond: 100 }));
    const off = breakEvens(s, 0, P, L).find((b) => b.between.join() === 'kms,hsm')!;
    const on = breakEvens(s, 0.9, P, L).find((b) => b.between.join() === 'kms,hsm')!;
    expect(off.cheaperAbove).toBe('hsm');
    expect(on.opsPerMonth / off.opsPerMonth).toBeGreaterThan(5);
    expect(on.opsPerMonth / off.opsPerMonth).toBeLessThan(20);
    // at the break-even both cost the same (within a cent of rounding)
    const at = { ...s, opsPerMonth: off.opsPerMonth, peakOpsPerSecond: s.peakOpsPerSecond * (off.opsPerMonth / s.opsPerMonth) };
    expect(Math.abs(costOf('kms', at, P, L).totalPerMonth - costOf('hsm', at, P, L).totalPerMonth)).toBeLessThan(5);
  });

  it('multi-Region: KMS bills each replica key; the custom key store needs a store and cluster per Region', () => {
    const three = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
    const k = recommend(wl({ regions: three }), P, L);
    expect(k.choice).toBe('kms');
    expect(k.assessments.find((a) => a.backend === 'kms')!.cost.keysPerMonth).toBe(30);
    const c = recommend(wl({ regions: three, requirements: { singleTenancy: true, awsIntegration: true } }), P, L);
    expect(c.choice).toBe('cks');
    expect(c.reasons.join('\n')).toMatch(/no multi-Region keys in a custom key store/);
    const one = recommend(wl({ requirements: { singleTenancy: true, awsIntegration: true } }), P, L);
    expect(c.assessments.find((a) => a.backend === 'cks')!.cost.hsmsPerMonth).toBeCloseTo(3 * one.assessments.find((a) => a.backend === 'cks')!.cost.hsmsPerMonth, 1);
  });

  it('prices and limits are inputs: a cheaper HSM-hour or a higher store limit changes the answer', () => {
    const w = wl({ opsPerMonth: 500_000_000, peakOpsPerSecond: 200 });
    expect(recommend(w, P, L).choice).toBe('kms');
    expect(recommend(w, mergePrices({ cloudHsmHour: 0.5 }), L).choice).toBe('hsm');
    const req = { singleTenancy: true, awsIntegration: true } as const;
    expect(recommend(wl({ peakOpsPerSecond: 1500, requirements: req }), P, L).choice).not.toBe('cks');
    expect(recommend(wl({ peakOpsPerSecond: 1500, requirements: req }), P, mergeLimits({ cksMixedRps: 2000 })).choice).toBe('cks');
    expect(DEFAULT_PRICES.kmsPer10kRequests).toBe(0.03);
    expect(DEFAULT_LIMITS.cksRps).toBe(1800);
  });
});
