/**
 * The monthly cost model of `strongroom compare`. Prices are documented *inputs*, not live data:
 * recorded from the AWS pricing pages on the date below, for us-east-1, and overridable by flags
 * (`--price-kms-key-month`, …) or a JSON file (`--prices prices.json`).
 *
 *   KMS:         keys × key-month price + backend requests × request price
 *   HSM cluster: HSMs × hourly price × hours per month (requests are not billed)
 *   custom key store: the HSM cluster (≥ 2 HSMs) + KMS keys and requests as KMS
 */
import { StrongroomError } from '@strongroom/core';

/** Unit prices the cost model uses (USD); override them with current AWS prices for your Region. */
export interface PriceInputs {
  /** USD per KMS key per month. */
  kmsKeyMonth: number;
  /** USD per 10,000 symmetric KMS requests. */
  kmsPer10kRequests: number;
  /** USD per CloudHSM HSM hour (hsm2m.medium). */
  cloudHsmHour: number;
  hoursPerMonth: number;
  region: string;
  source: string;
  recordedOn: string;
}

/**
 * Default unit prices of the cost model (public AWS list prices, us-east-1; check them before relying on the totals).
 */
export const DEFAULT_PRICES: Readonly<PriceInputs> = Object.freeze({
  kmsKeyMonth: 1,
  kmsPer10kRequests: 0.03,
  cloudHsmHour: 1.45,
  hoursPerMonth: 730,
  region: 'us-east-1',
  source: 'AWS pricing pages (aws.amazon.com/kms/pricing, aws.amazon.com/cloudhsm/pricing), hsm2m.medium, as recorded on 2026-11-22',
  recordedOn: '2026-11-22',
});

/** The workload the cost model prices: requests per month, number of keys, HSMs in the cluster. */
export interface UsageInputs {
  /** Application encrypt+decrypt operations per month. */
  requestsPerMonth: number;
  /** Number of KMS keys (or HSM keys; HSM keys are not billed). */
  keys: number;
  /** HSMs in the cluster (CloudHSM recommends ≥ 2 in different AZs; a custom key store requires ≥ 2). */
  hsmCount: number;
}

/** Default workload of the cost model: 10 million requests a month, 10 keys, 2 HSMs. */
export const DEFAULT_USAGE: Readonly<UsageInputs> = Object.freeze({ requestsPerMonth: 10_000_000, keys: 10, hsmCount: 2 });

/** One backend's monthly cost, itemised. */
export interface CostLine {
  backend: string;
  /** Backend requests per application operation used (measured). */
  callsPerOp: number;
  fixedPerMonth: number;
  requestsPerMonth: number;
  totalPerMonth: number;
  notes: string;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Monthly cost for one backend, given its measured backend calls per application operation.
 */
export function monthlyCost(backend: string, callsPerOp: number, usage: UsageInputs, prices: PriceInputs): CostLine {
  const backendRequests = usage.requestsPerMonth * callsPerOp;
  const kmsRequests = (backendRequests / 10_000) * prices.kmsPer10kRequests;
  const kmsKeys = usage.keys * prices.kmsKeyMonth;
  const hsms = (n: number) => n * prices.cloudHsmHour * prices.hoursPerMonth;
  let fixed: number;
  let requests: number;
  let notes: string;
  switch (backend) {
    case 'kms':
      fixed = kmsKeys;
      requests = kmsRequests;
      notes = `${usage.keys} keys, ${Math.round(backendRequests).toLocaleString('en-US')} KMS requests`;
      break;
    case 'hsm':
    case 'pkcs11':
      fixed = hsms(usage.hsmCount);
      requests = 0;
      notes = `${usage.hsmCount} HSMs × ${prices.hoursPerMonth} h; requests not billed`;
      break;
    case 'cks': {
      const n = Math.max(2, usage.hsmCount);
      fixed = hsms(n) + kmsKeys;
      requests = kmsRequests;
      notes = `${n} HSMs (store minimum 2) + ${usage.keys} KMS keys + KMS requests`;
      break;
    }
    default:
      throw new StrongroomError('INVALID_ARGUMENT', `no cost model for backend ${backend}`);
  }
  return { backend, callsPerOp, fixedPerMonth: round2(fixed), requestsPerMonth: round2(requests), totalPerMonth: round2(fixed + requests), notes };
}

const NUMERIC: ReadonlyArray<keyof PriceInputs> = ['kmsKeyMonth', 'kmsPer10kRequests', 'cloudHsmHour', 'hoursPerMonth'];

/** Merge overrides (from a JSON file or flags) onto the defaults, strictly. @throws StrongroomError INVALID_ARGUMENT. */
export function mergePrices(overrides: unknown): PriceInputs {
  const out: PriceInputs = { ...DEFAULT_PRICES };
  if (overrides === undefined) return out;
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) throw new StrongroomError('INVALID_ARGUMENT', 'prices: expected a JSON object');
  for (const [k, v] of Object.entries(overrides)) {
    if ((NUMERIC as readonly string[]).includes(k)) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new StrongroomError('INVALID_ARGUMENT', `prices.${k}: expected a non-negative number`);
      (out as unknown as Record<string, unknown>)[k] = v;
    } else if (k === 'region' || k === 'source' || k === 'recordedOn') {
      if (typeof v !== 'string' || v.length > 500) throw new StrongroomError('INVALID_ARGUMENT', `prices.${k}: expected a string`);
      (out as unknown as Record<string, unknown>)[k] = v;
    } else {
      throw new StrongroomError('INVALID_ARGUMENT', `prices: unknown field ${k} (known: ${[...NUMERIC, 'region', 'source', 'recordedOn'].join(', ')})`);
    }
  }
  if (Object.keys(overrides).some((k) => (NUMERIC as readonly string[]).includes(k)) && !('source' in overrides)) {
    out.source = `overridden by the user (defaults: ${DEFAULT_PRICES.source})`;
  }
  return out;
}
