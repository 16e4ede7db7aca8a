/**
 * The cloud model behind the recommendation: monthly cost of each backend for a workload, the cost
 * over a log range of monthly volumes with the break-even points, and capacity against the peak.
 * Pure functions of (workload, prices, limits); the figures and their sources are in pricing.ts and
 * limits.ts.
 *
 * Requests per operation (one message encrypted or decrypted): KMS and a custom key store make one
 * request (GenerateDataKey to encrypt, Decrypt to decrypt); an HSM cluster makes 1.5 HSM operations on
 * average (random + wrap to encrypt, unwrap to decrypt, an even mix) — the calls `strongroom compare`
 * measures (2 and 3 per encrypt+decrypt pair). A data-key cache divides them by 1 / (1 − hit rate).
 * Each Region carries the peak on its own; a multi-Region KMS key is billed per primary and replica;
 * a custom key store cannot hold multi-Region keys, so each Region has its own store, cluster and keys.
 */
import { hsmsFor, kmsQuota, type LimitInputs } from './limits';
import { hsmHourIn, type PriceInputs } from './pricing';
import type { Workload } from './workload-spec';

export type CloudBackend = 'kms' | 'hsm' | 'cks';
export const CLOUD_BACKENDS: readonly CloudBackend[] = ['kms', 'hsm', 'cks'];

/** Seconds in the 730-hour month the prices use. */
export const SECONDS_PER_MONTH = 730 * 3600;

/** Backend requests per operation before the cache. */
export const BASE_CALLS: Readonly<Record<CloudBackend, number>> = { kms: 1, cks: 1, hsm: 1.5 };

export interface Scenario {
  readonly opsPerMonth: number;
  readonly peakOpsPerSecond: number;
  readonly hitRate: number;
  readonly keys: number;
  readonly regions: readonly string[];
  readonly keyType: Workload['keyType'];
}

export interface CostBreakdown {
  readonly backend: CloudBackend;
  readonly totalPerMonth: number;
  readonly keysPerMonth: number;
  readonly requestsPerMonth: number;
  readonly hsmsPerMonth: number;
  /** HSMs per Region (0 for KMS). */
  readonly hsms: number;
  readonly notes: string;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

export function scenarioOf(w: Workload): Scenario {
  return { opsPerMonth: w.opsPerMonth, peakOpsPerSecond: w.peakOpsPerSecond, hitRate: w.cache.enabled ? w.cache.hitRate : 0, keys: w.keys, regions: w.regions, keyType: w.keyType };
}

/** Backend requests per second at the peak, per Region. */
export function peakBackendRps(backend: CloudBackend, s: Scenario): number {
  return s.peakOpsPerSecond * BASE_CALLS[backend] * (1 - s.hitRate);
}

function kmsPart(s: Scenario, p: PriceInputs): { keys: number; requests: number; count: number } {
  const count = s.opsPerMonth * BASE_CALLS.kms * (1 - s.hitRate);
  const per10k = s.keyType === 'symmetric' ? p.kmsPer10kRequests : p.kmsPer10kAsymmetric;
  return { keys: s.keys * s.regions.length * p.kmsKeyMonth, requests: (Math.max(0, count - p.kmsFreeRequestsPerMonth) / 10_000) * per10k, count };
}

function clusters(hsms: number, s: Scenario, p: PriceInputs): number {
  return s.regions.reduce((sum, r) => sum + hsms * hsmHourIn(p, r).usd * p.hoursPerMonth, 0);
}

/** The monthly cost of one backend for a scenario. */
export function costOf(backend: CloudBackend, s: Scenario, p: PriceInputs, l: LimitInputs): CostBreakdown {
  const regions = s.regions.length;
  if (backend === 'kms') {
    const k = kmsPart(s, p);
    const total = k.keys + k.requests;
    return { backend, totalPerMonth: round2(total), keysPerMonth: round2(k.keys), requestsPerMonth: round2(k.requests), hsmsPerMonth: 0, hsms: 0, notes: `${s.keys} ${s.keys === 1 ? 'key' : 'keys'} × ${regions} ${regions === 1 ? 'Region' : 'Regions'}, ${fmtCount(k.count)} requests/month` };
  }
  const hsms = hsmsFor(peakBackendRps(backend, s), l);
  const hsmCost = clusters(hsms, s, p);
  if (backend === 'hsm') {
    return { backend, totalPerMonth: round2(hsmCost), keysPerMonth: 0, requestsPerMonth: 0, hsmsPerMonth: round2(hsmCost), hsms, notes: `${hsms} HSMs × ${regions} ${regions === 1 ? 'cluster' : 'clusters'} × ${p.hoursPerMonth} h; requests not billed` };
  }
  const k = kmsPart(s, p);
  return {
    backend,
    totalPerMonth: round2(hsmCost + k.keys + k.requests),
    keysPerMonth: round2(k.keys),
    requestsPerMonth: round2(k.requests),
    hsmsPerMonth: round2(hsmCost),
    hsms,
    notes: `${hsms} HSMs × ${regions} ${regions === 1 ? 'store' : 'stores'} + ${s.keys} KMS ${s.keys === 1 ? 'key' : 'keys'} per Region + ${fmtCount(k.count)} requests`,
  };
}

export function fmtCount(n: number): string {
  if (n >= 1e9) return `${+(n / 1e9).toPrecision(3)} B`;
  if (n >= 1e6) return `${+(n / 1e6).toPrecision(3)} M`;
  if (n >= 1e3) return `${+(n / 1e3).toPrecision(3)} k`;
  return String(Math.round(n));
}

/* ------------------------------------------------------------ cost over volume */

export interface CurvePoint {
  readonly opsPerMonth: number;
  readonly cost: Readonly<Record<CloudBackend, number>>;
}

export interface CostCurve {
  readonly cache: boolean;
  readonly hitRate: number;
  readonly points: readonly CurvePoint[];
}

export interface BreakEven {
  readonly cache: boolean;
  readonly between: readonly [CloudBackend, CloudBackend];
  readonly opsPerMonth: number;
  readonly costPerMonth: number;
  /** The backend that is cheaper above this volume. */
  readonly cheaperAbove: CloudBackend;
}

export const CURVE_FROM = 1e4;
export const CURVE_TO = 1e11;

/** The scenario at another monthly volume, with the peak scaled by the same peak-to-average ratio. */
export function atVolume(s: Scenario, opsPerMonth: number, hitRate: number): Scenario {
  const ratio = s.peakOpsPerSecond / Math.max(1e-9, s.opsPerMonth / SECONDS_PER_MONTH);
  return { ...s, opsPerMonth, peakOpsPerSecond: (opsPerMonth / SECONDS_PER_MONTH) * ratio, hitRate };
}

/** Monthly cost of each backend over CURVE_FROM…CURVE_TO operations a month (8 points per decade). */
export function costCurve(s: Scenario, hitRate: number, p: PriceInputs, l: LimitInputs): CostCurve {
  const points: CurvePoint[] = [];
  for (let e = Math.log10(CURVE_FROM); e <= Math.log10(CURVE_TO) + 1e-9; e += 0.125) {
    const x = 10 ** e;
    const at = atVolume(s, x, hitRate);
    points.push({ opsPerMonth: x, cost: { kms: costOf('kms', at, p, l).totalPerMonth, hsm: costOf('hsm', at, p, l).totalPerMonth, cks: costOf('cks', at, p, l).totalPerMonth } });
  }
  return { cache: hitRate > 0, hitRate, points };
}

/** Where two backends' monthly costs cross, refined by bisection in log space. */
export function breakEvens(s: Scenario, hitRate: number, p: PriceInputs, l: LimitInputs): BreakEven[] {
  const out: BreakEven[] = [];
  const pairs: Array<[CloudBackend, CloudBackend]> = [['kms', 'hsm'], ['kms', 'cks'], ['hsm', 'cks']];
  const diff = (a: CloudBackend, b: CloudBackend, x: number) => {
    const at = atVolume(s, x, hitRate);
    return costOf(a, at, p, l).totalPerMonth - costOf(b, at, p, l).totalPerMonth;
  };
  for (const [a, b] of pairs) {
    let prevX = CURVE_FROM;
    let prev = diff(a, b, prevX);
    for (let e = Math.log10(CURVE_FROM) + 0.0625; e <= Math.log10(CURVE_TO) + 1e-9; e += 0.0625) {
      const x = 10 ** e;
      const d = diff(a, b, x);
      if (prev !== 0 && Math.sign(d) !== Math.sign(prev) && d !== 0) {
        let lo = Math.log10(prevX);
        let hi = e;
        for (let i = 0; i < 40; i++) {
          const mid = (lo + hi) / 2;
          if (Math.sign(diff(a, b, 10 ** mid)) === Math.sign(prev)) lo = mid;
          else hi = mid;
        }
        const xe = 10 ** hi;
        const at = atVolume(s, xe, hitRate);
        out.push({ cache: hitRate > 0, between: [a, b], opsPerMonth: Math.round(xe), costPerMonth: costOf(a, at, p, l).totalPerMonth, cheaperAbove: d < 0 ? a : b });
      }
      prevX = x;
      prev = d;
    }
  }
  return out.sort((x, y) => x.opsPerMonth - y.opsPerMonth);
}

/* ------------------------------------------------------------ capacity */

export interface CapacityRow {
  readonly backend: CloudBackend;
  /** Backend requests (KMS) or HSM operations per second at the peak, per Region. */
  readonly peakBackendRps: number;
  /** The limit that applies (requests/s), or null where capacity scales with HSMs. */
  readonly limitRps: number | null;
  readonly limit: string;
  readonly adjustable: boolean;
  readonly fits: boolean;
  /** HSMs per Region the peak needs (HSM cluster and custom key store). */
  readonly hsms: number;
}

export function capacity(s: Scenario, l: LimitInputs): CapacityRow[] {
  const home = s.regions[0] ?? 'us-east-1';
  const kmsPeak = peakBackendRps('kms', s);
  const quota = kmsQuota(l, home, s.keyType);
  const hsmPeak = peakBackendRps('hsm', s);
  const cksPeak = peakBackendRps('cks', s);
  return [
    { backend: 'kms', peakBackendRps: kmsPeak, limitRps: quota, limit: `${s.keyType} crypto quota in ${home}, shared by every caller in the account and Region`, adjustable: true, fits: kmsPeak <= quota, hsms: 0 },
    { backend: 'hsm', peakBackendRps: hsmPeak, limitRps: null, limit: `${l.hsmOpsPerSecondPerHsm.toLocaleString('en-US')} ops/s per HSM (assumed) — add HSMs`, adjustable: true, fits: true, hsms: hsmsFor(hsmPeak, l) },
    { backend: 'cks', peakBackendRps: cksPeak, limitRps: l.cksMixedRps, limit: 'per custom key store (GenerateDataKey + Decrypt), not adjustable', adjustable: false, fits: cksPeak <= l.cksMixedRps, hsms: hsmsFor(cksPeak, l) },
  ];
}
