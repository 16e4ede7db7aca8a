/**
 * Capacity figures of `strongroom compare`, each with the public page it comes from and the date it
 * was read; all overridable (`--limits FILE`).
 *
 * - AWS KMS request quotas, https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html:
 *   cryptographic operations on symmetric keys share one quota per account and Region — 10,000/s,
 *   20,000/s in us-east-2, ap-southeast-1, ap-southeast-2, ap-northeast-1, eu-central-1, eu-west-2, and
 *   100,000/s in us-east-1, us-west-2, eu-west-1; RSA keys 1,000/s (shared), ECC keys 1,000/s (shared);
 *   all adjustable except the AWS CloudHSM key store quota. Requests AWS services make on your behalf
 *   count against the same quota.
 * - Custom key store quota (same page, #rps-key-stores): 1,800 cryptographic operations per second per
 *   store; GenerateDataKey uses about three times the share of Encrypt/Decrypt, so an equal mix of
 *   GenerateDataKey and Decrypt gets about 1,200/s; not adjustable.
 * - AWS CloudHSM performance, https://docs.aws.amazon.com/cloudhsm/latest/userguide/performance.html:
 *   hsm2m.medium two-/three-/six-HSM clusters: RSA 2048-bit sign 2,000/3,000/5,000 ops/s, EC P256 sign
 *   3,000/4,500/7,000 ops/s (hsm1.medium EC P256: 500/750/1,500); "load test … then add one more HSM
 *   to it to ensure high availability". No AES key-wrap figure is published.
 */
import { StrongroomError } from '@strongroom/core';

export interface LimitSource {
  readonly what: string;
  readonly url: string;
  readonly readOn: string;
  readonly note?: string;
}

export interface PublishedHsmFigure {
  readonly instance: string;
  readonly operation: string;
  /** ops/s of a cluster of this many HSMs. */
  readonly byClusterSize: Readonly<Record<string, number>>;
}

export interface LimitInputs {
  /** Shared symmetric cryptographic-operation quota per account and Region, by Region. */
  kmsSymmetricRpsByRegion: Record<string, number>;
  /** Where the Region has no entry. */
  kmsSymmetricRpsDefault: number;
  kmsRsaRps: number;
  kmsEccRps: number;
  /** Custom key store: Encrypt/Decrypt only. */
  cksRps: number;
  /** Custom key store: an equal mix of GenerateDataKey and Decrypt (the envelope pattern). */
  cksMixedRps: number;
  /** HSM operations per second one HSM is assumed to carry for the envelope workload (AES wrap/unwrap). */
  hsmOpsPerSecondPerHsm: number;
  /** HSMs a cluster needs for availability (CloudHSM: ≥ 2 in different AZs). */
  minHsms: number;
  /** HSMs added above the peak's need ("add one more HSM … for high availability"). */
  spareHsms: number;
  published: PublishedHsmFigure[];
  sources: LimitSource[];
}

const KMS_QUOTAS = 'https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html';
const HSM_PERF = 'https://docs.aws.amazon.com/cloudhsm/latest/userguide/performance.html';

export const LIMIT_SOURCES: readonly LimitSource[] = Object.freeze([
  { what: 'KMS symmetric crypto quota 10,000/s (20,000/s, 100,000/s in listed Regions), shared per account and Region, adjustable', url: KMS_QUOTAS, readOn: '2026-11-30' },
  { what: 'KMS RSA 1,000/s and ECC 1,000/s (shared)', url: KMS_QUOTAS, readOn: '2026-11-30' },
  { what: 'custom key store 1,800/s per store; ≈1,200/s for equal GenerateDataKey + Decrypt; not adjustable', url: `${KMS_QUOTAS}#rps-key-stores`, readOn: '2026-11-30' },
  { what: 'CloudHSM cluster throughput (RSA 2048 sign, EC P256 sign) and "add one more HSM" for HA', url: HSM_PERF, readOn: '2026-11-30' },
  {
    what: 'HSM envelope capacity 1,000 wrap/unwrap per second per HSM',
    url: HSM_PERF,
    readOn: '2026-11-30',
    note: 'an assumption: AWS publishes no AES key-wrap figure; the RSA 2048 sign rate per HSM (2,000/s on two HSMs) is used as a conservative stand-in — load test and override',
  },
]);

const byRegion = (entries: Record<string, number>) => Object.freeze(Object.assign(Object.create(null) as Record<string, number>, entries)) as Record<string, number>;

export const DEFAULT_LIMITS: Readonly<LimitInputs> = Object.freeze({
  kmsSymmetricRpsByRegion: byRegion({
    'us-east-1': 100_000,
    'us-west-2': 100_000,
    'eu-west-1': 100_000,
    'us-east-2': 20_000,
    'ap-southeast-1': 20_000,
    'ap-southeast-2': 20_000,
    'ap-northeast-1': 20_000,
    'eu-central-1': 20_000,
    'eu-west-2': 20_000,
  }),
  kmsSymmetricRpsDefault: 10_000,
  kmsRsaRps: 1_000,
  kmsEccRps: 1_000,
  cksRps: 1_800,
  cksMixedRps: 1_200,
  hsmOpsPerSecondPerHsm: 1_000,
  minHsms: 2,
  spareHsms: 1,
  published: [
    { instance: 'hsm2m.medium', operation: 'RSA 2048-bit sign', byClusterSize: { '2': 2000, '3': 3000, '6': 5000 } },
    { instance: 'hsm2m.medium', operation: 'EC P256 sign', byClusterSize: { '2': 3000, '3': 4500, '6': 7000 } },
    { instance: 'hsm1.medium', operation: 'RSA 2048-bit sign', byClusterSize: { '2': 2000, '3': 3000, '6': 5000 } },
    { instance: 'hsm1.medium', operation: 'EC P256 sign', byClusterSize: { '2': 500, '3': 750, '6': 1500 } },
  ],
  sources: LIMIT_SOURCES as LimitSource[],
});

export type KeyType = 'symmetric' | 'rsa' | 'ecc';

/** The shared KMS cryptographic-operation quota for a key type in a Region (requests per second). */
export function kmsQuota(limits: LimitInputs, region: string, keyType: KeyType): number {
  if (keyType === 'rsa') return limits.kmsRsaRps;
  if (keyType === 'ecc') return limits.kmsEccRps;
  return Object.hasOwn(limits.kmsSymmetricRpsByRegion, region) ? limits.kmsSymmetricRpsByRegion[region]! : limits.kmsSymmetricRpsDefault;
}

/** HSMs a cluster needs for a peak of HSM operations per second: the peak's share plus the spare, at least the minimum. */
export function hsmsFor(peakHsmOpsPerSecond: number, limits: LimitInputs): number {
  const forPeak = Math.ceil(peakHsmOpsPerSecond / limits.hsmOpsPerSecondPerHsm);
  return Math.max(limits.minHsms, forPeak + limits.spareHsms);
}

const NUMERIC = ['kmsSymmetricRpsDefault', 'kmsRsaRps', 'kmsEccRps', 'cksRps', 'cksMixedRps', 'hsmOpsPerSecondPerHsm', 'minHsms', 'spareHsms'] as const;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/**
 * Merge overrides onto the defaults, strictly (unknown fields, non-positive rates, bad Region codes
 * are refused). @throws StrongroomError INVALID_ARGUMENT.
 */
export function mergeLimits(overrides: unknown): LimitInputs {
  const regions = Object.assign(Object.create(null) as Record<string, number>, DEFAULT_LIMITS.kmsSymmetricRpsByRegion);
  const out: LimitInputs = { ...DEFAULT_LIMITS, kmsSymmetricRpsByRegion: regions, published: [...DEFAULT_LIMITS.published], sources: [...DEFAULT_LIMITS.sources] };
  if (overrides === undefined) return out;
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) throw new StrongroomError('INVALID_ARGUMENT', 'limits: expected a JSON object — see docs/cli.md#strongroom-compare');
  for (const [k, v] of Object.entries(overrides)) {
    if ((NUMERIC as readonly string[]).includes(k)) {
      const min = k === 'spareHsms' ? 0 : 1;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > 1e9 || ((k === 'minHsms' || k === 'spareHsms') && !Number.isInteger(v))) {
        throw new StrongroomError('INVALID_ARGUMENT', `limits.${k}: expected ${k === 'minHsms' || k === 'spareHsms' ? 'an integer' : 'a number'} from ${min} to 1e9`);
      }
      (out as unknown as Record<string, number>)[k] = v;
    } else if (k === 'kmsSymmetricRpsByRegion') {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.keys(v).length > 64) throw new StrongroomError('INVALID_ARGUMENT', 'limits.kmsSymmetricRpsByRegion: expected an object of at most 64 Region codes → requests per second');
      for (const [region, rps] of Object.entries(v)) {
        if (!REGION.test(region)) throw new StrongroomError('INVALID_ARGUMENT', `limits.kmsSymmetricRpsByRegion: ${JSON.stringify(region.slice(0, 40))} is not a Region code`);
        if (typeof rps !== 'number' || !Number.isFinite(rps) || rps < 1 || rps > 1e9) throw new StrongroomError('INVALID_ARGUMENT', `limits.kmsSymmetricRpsByRegion.${region}: expected a number from 1 to 1e9`);
        regions[region] = rps;
      }
    } else {
      throw new StrongroomError('INVALID_ARGUMENT', `limits: unknown field ${JSON.stringify(k.slice(0, 40))} (known: ${[...NUMERIC, 'kmsSymmetricRpsByRegion'].join(', ')})`);
    }
  }
  out.sources = [{ what: 'user overrides', url: '--limits file', readOn: new Date().toISOString().slice(0, 10) }, ...out.sources];
  return out;
}
