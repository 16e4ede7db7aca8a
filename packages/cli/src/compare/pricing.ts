/**
 * The price inputs of `strongroom compare`. Prices are documented *inputs*, not live data: each one
 * carries the public page it was read from and the date, and every one is overridable by flags
 * (`--price-kms-key-month`, …) or a JSON file (`--prices prices.json`).
 *
 * Sources (read on the dates in PRICE_SOURCES):
 * - AWS KMS pricing, https://aws.amazon.com/kms/pricing/ — $1 per KMS key per month (each primary
 *   and each replica multi-Region key, and keys in custom key stores, alike); 20,000 free requests a
 *   month across all Regions; $0.03 per 10,000 symmetric requests; asymmetric requests cost more.
 * - AWS CloudHSM pricing, https://aws.amazon.com/cloudhsm/pricing/ — billed per HSM-hour, by Region;
 *   a custom key store "does require you to maintain an AWS CloudHSM cluster that contains at least
 *   two HSMs" (the KMS pricing page).
 */
import { StrongroomError } from '@strongroom/core';

/** Where a default price came from: what it is, the public page, and the date it was read. */
export interface PriceSource {
  readonly what: string;
  readonly url: string;
  readonly readOn: string;
  readonly note?: string;
}

/** Unit prices the cost model uses (USD); override them with current AWS prices for your Region. */
export interface PriceInputs {
  /** USD per KMS key per month (multi-Region: per primary and per replica). */
  kmsKeyMonth: number;
  /** USD per 10,000 symmetric KMS requests. */
  kmsPer10kRequests: number;
  /** USD per 10,000 asymmetric (RSA/ECC) KMS requests. */
  kmsPer10kAsymmetric: number;
  /** Free KMS requests per month (account-wide, all Regions). */
  kmsFreeRequestsPerMonth: number;
  /** USD per HSM-hour where the Region has no entry in cloudHsmHourByRegion. */
  cloudHsmHour: number;
  /** USD per HSM-hour by Region code. */
  cloudHsmHourByRegion: Record<string, number>;
  hoursPerMonth: number;
  region: string;
  source: string;
  recordedOn: string;
  sources: PriceSource[];
}

/** The public sources of the default prices, with the dates they were read. */
export const PRICE_SOURCES: readonly PriceSource[] = Object.freeze([
  { what: 'KMS key-month $1; 20,000 free requests/month', url: 'https://aws.amazon.com/kms/pricing/', readOn: '2026-11-30' },
  { what: 'KMS $0.03 per 10,000 symmetric requests', url: 'https://aws.amazon.com/kms/pricing/', readOn: '2026-11-30' },
  {
    what: 'KMS asymmetric requests $0.15 per 10,000 (5× symmetric)',
    url: 'https://aws.amazon.com/kms/pricing/',
    readOn: '2026-11-30',
    note: 'the request-price table was cut from the copy read; 5× symmetric as summarised by factualminds.com (2026-06-13) — verify for RSA 2048',
  },
  {
    what: 'CloudHSM hsm2m.medium $1.45/HSM-hour, us-east-1',
    url: 'https://aws.amazon.com/cloudhsm/pricing/',
    readOn: '2026-11-22',
    note: 'recorded earlier in this project; not re-read on 2026-11-30 (the page was not reachable from here) — other Regions: supply your own with --prices',
  },
  { what: 'custom key store: a CloudHSM cluster of at least two HSMs + KMS prices', url: 'https://aws.amazon.com/kms/pricing/', readOn: '2026-11-30' },
]);

/** Default unit prices of the cost model (public AWS list prices, us-east-1; check them before relying on the totals). */
export const DEFAULT_PRICES: Readonly<PriceInputs> = Object.freeze({
  kmsKeyMonth: 1,
  kmsPer10kRequests: 0.03,
  kmsPer10kAsymmetric: 0.15,
  kmsFreeRequestsPerMonth: 20_000,
  cloudHsmHour: 1.45,
  cloudHsmHourByRegion: Object.freeze(Object.assign(Object.create(null) as Record<string, number>, { 'us-east-1': 1.45 })) as Record<string, number>,
  hoursPerMonth: 730,
  region: 'us-east-1',
  source: 'AWS pricing pages (aws.amazon.com/kms/pricing, aws.amazon.com/cloudhsm/pricing), hsm2m.medium, as recorded on 2026-11-30 (CloudHSM hourly: 2026-11-22)',
  recordedOn: '2026-11-30',
  sources: PRICE_SOURCES as PriceSource[],
});

/** The hourly HSM price in a Region, and whether it was recorded for that Region. */
export function hsmHourIn(prices: PriceInputs, region: string): { usd: number; recorded: boolean } {
  const v = Object.hasOwn(prices.cloudHsmHourByRegion, region) ? prices.cloudHsmHourByRegion[region] : undefined;
  return v === undefined ? { usd: prices.cloudHsmHour, recorded: false } : { usd: v, recorded: true };
}

/* ------------------------------------------------------- the older per-run cost table */

/** Usage figures of the older per-run cost table: requests per month, keys, HSMs. */
export interface UsageInputs {
  /** Application operations per month. */
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
 * Monthly cost for one backend, given its measured backend calls per application operation (the
 * table under the measurements; the recommendation uses model.ts). The free tier is not deducted here.
 */
export function monthlyCost(backend: string, callsPerOp: number, usage: UsageInputs, prices: PriceInputs): CostLine {
  const backendRequests = usage.requestsPerMonth * callsPerOp;
  const kmsRequests = (backendRequests / 10_000) * prices.kmsPer10kRequests;
  const kmsKeys = usage.keys * prices.kmsKeyMonth;
  const hsms = (n: number) => n * hsmHourIn(prices, prices.region).usd * prices.hoursPerMonth;
  let fixed: number;
  let requests: number;
  let notes: string;
  switch (backend) {
    case 'kms':
      fixed = kmsKeys;
      requests = kmsRequests;
      notes = `${usage.keys} ${usage.keys === 1 ? 'key' : 'keys'}, ${Math.round(backendRequests).toLocaleString('en-US')} KMS requests`;
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
      notes = `${n} HSMs (store minimum 2) + ${usage.keys} KMS ${usage.keys === 1 ? 'key' : 'keys'} + KMS requests`;
      break;
    }
    default:
      throw new StrongroomError('INVALID_ARGUMENT', `no cost model for backend ${backend}`);
  }
  return { backend, callsPerOp, fixedPerMonth: round2(fixed), requestsPerMonth: round2(requests), totalPerMonth: round2(fixed + requests), notes };
}

const NUMERIC = ['kmsKeyMonth', 'kmsPer10kRequests', 'kmsPer10kAsymmetric', 'kmsFreeRequestsPerMonth', 'cloudHsmHour', 'hoursPerMonth'] as const;
const STRINGS = ['region', 'source', 'recordedOn'] as const;
const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const MAX_PRICE = 1e6;

function isNumeric(k: string): k is (typeof NUMERIC)[number] {
  return (NUMERIC as readonly string[]).includes(k);
}

function checkedNumber(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_PRICE) {
    throw new StrongroomError('INVALID_ARGUMENT', `${where}: expected a number from 0 to ${MAX_PRICE} — fix it in the --prices file or flag`);
  }
  return v;
}

/**
 * Merge overrides (from a JSON file or flags) onto the defaults, strictly: unknown fields, wrong
 * types, negative or non-finite numbers and malformed Region codes are refused.
 * @throws StrongroomError INVALID_ARGUMENT.
 */
export function mergePrices(overrides: unknown): PriceInputs {
  const byRegion = Object.assign(Object.create(null) as Record<string, number>, DEFAULT_PRICES.cloudHsmHourByRegion);
  const out: PriceInputs = { ...DEFAULT_PRICES, cloudHsmHourByRegion: byRegion, sources: [...DEFAULT_PRICES.sources] };
  if (overrides === undefined) return out;
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) throw new StrongroomError('INVALID_ARGUMENT', 'prices: expected a JSON object — see docs/cli.md#strongroom-compare');
  let changed = false;
  for (const [k, v] of Object.entries(overrides)) {
    if (isNumeric(k)) {
      out[k] = checkedNumber(v, `prices.${k}`);
      changed = true;
    } else if ((STRINGS as readonly string[]).includes(k)) {
      if (typeof v !== 'string' || v.length > 500) throw new StrongroomError('INVALID_ARGUMENT', `prices.${k}: expected a string of at most 500 characters`);
      if (k === 'region' && !REGION.test(v)) throw new StrongroomError('INVALID_ARGUMENT', `prices.region ${JSON.stringify(v.slice(0, 40))}: expected a Region code such as us-east-1`);
      (out as unknown as Record<string, unknown>)[k] = v;
    } else if (k === 'cloudHsmHourByRegion') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new StrongroomError('INVALID_ARGUMENT', 'prices.cloudHsmHourByRegion: expected an object of Region code → USD per HSM-hour');
      const entries = Object.entries(v);
      if (entries.length > 64) throw new StrongroomError('INVALID_ARGUMENT', 'prices.cloudHsmHourByRegion: at most 64 Regions');
      for (const [region, usd] of entries) {
        if (!REGION.test(region)) throw new StrongroomError('INVALID_ARGUMENT', `prices.cloudHsmHourByRegion: ${JSON.stringify(region.slice(0, 40))} is not a Region code such as eu-west-1`);
        byRegion[region] = checkedNumber(usd, `prices.cloudHsmHourByRegion.${region}`);
      }
      changed = true;
    } else {
      throw new StrongroomError('INVALID_ARGUMENT', `prices: unknown field ${JSON.stringify(k.slice(0, 40))} (known: ${[...NUMERIC, 'cloudHsmHourByRegion', ...STRINGS].join(', ')})`);
    }
  }
  // A flat cloudHsmHour override is the price in the chosen Region unless the Region table says otherwise.
  if ('cloudHsmHour' in overrides && !('cloudHsmHourByRegion' in overrides)) byRegion[out.region] = out.cloudHsmHour;
  if (changed && !('source' in overrides)) {
    out.source = `overridden by the user (defaults: ${DEFAULT_PRICES.source})`;
    out.sources = [{ what: 'user overrides', url: '--prices / --price-* flags', readOn: new Date().toISOString().slice(0, 10) }, ...out.sources];
  }
  return out;
}
