/**
 * The reader's workload, which the recommendation is for: peak and monthly operations, message size,
 * the data-key cache, keys, Regions, key type and the requirements that rule backends in or out.
 * Read from flags or a JSON file (`--workload FILE`), strictly: unknown fields, wrong types and
 * out-of-range values are typed errors that name the field. Numbers may be written `1e9`,
 * `1000000000` or `1_000_000_000`.
 *
 * One *operation* is one message encrypted or decrypted. The requirement vocabulary follows the AWS
 * KMS and CloudHSM developer guides (docs/choosing-a-backend.md maps each to its source).
 */
import { StrongroomError } from '@strongroom/core';
import type { KeyType } from './limits';

/** Who may hold and use the keys: AWS KMS is fine; the key material must stay in HSMs you control; or nobody but you may use the keys. */
export type KeyHolder = 'aws' | 'own-hsm' | 'only-us';

export interface Requirements {
  /** FIPS 140-3 Level 3 validated HSMs. */
  fips140Level3: boolean;
  /** Single-tenant HSMs. */
  singleTenancy: boolean;
  keyHolder: KeyHolder;
  /** Applications use the keys through PKCS#11 or JCE. */
  pkcs11: boolean;
  /** AWS services (S3 SSE-KMS, EBS, RDS, …) use the keys. */
  awsIntegration: boolean;
}

export interface Workload {
  peakOpsPerSecond: number;
  opsPerMonth: number;
  messageBytes: number;
  cache: { enabled: boolean; hitRate: number };
  keys: number;
  /** Regions the keys must be usable in (the first is the home Region). */
  regions: string[];
  keyType: KeyType;
  requirements: Requirements;
}

export const DEFAULT_WORKLOAD: Readonly<Workload> = Object.freeze<Workload>({
  peakOpsPerSecond: 100,
  opsPerMonth: 10_000_000,
  messageBytes: 1024,
  cache: { enabled: false, hitRate: 0 },
  keys: 10,
  regions: ['us-east-1'],
  keyType: 'symmetric',
  requirements: { fips140Level3: false, singleTenancy: false, keyHolder: 'aws', pkcs11: false, awsIntegration: false },
});

/** Hit rate assumed when the cache is on and no rate is given (one data key per ~100 messages). */
export const DEFAULT_HIT_RATE = 0.99;

const bad = (field: string, what: string) => new StrongroomError('INVALID_ARGUMENT', `workload ${field}: ${what}`);

/** A count written as 1e9, 1000000000 or 1_000_000_000 (also accepts a JSON number). */
export function parseCount(value: unknown, field: string, min: number, max: number): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const s = value.trim().replace(/_/g, '');
    if (!/^\d{1,15}(\.\d{1,6})?(e\d{1,2})?$/i.test(s)) throw bad(field, `${JSON.stringify(value.slice(0, 40))} is not a number (write 1e9, 1000000000 or 1_000_000_000)`);
    n = Number(s);
  } else throw bad(field, 'expected a number');
  if (!Number.isFinite(n) || !Number.isInteger(n) || n < min || n > max) throw bad(field, `expected a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`);
  return n;
}

/** A rate from 0 to 1, also written as a percentage (`95%`). */
export function parseRate(value: unknown, field: string): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const m = /^(\d{1,3}(?:\.\d{1,6})?)(%?)$/.exec(value.trim());
    if (!m) throw bad(field, `${JSON.stringify(value.slice(0, 40))} is not a rate (0.95 or 95%)`);
    n = Number(m[1]) / (m[2] ? 100 : 1);
  } else throw bad(field, 'expected a number from 0 to 1');
  if (!Number.isFinite(n) || n < 0 || n > 1) throw bad(field, 'expected a number from 0 to 1 (or 0% to 100%)');
  return n;
}

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

export function parseRegions(value: unknown, field: string): string[] {
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
  if (!Array.isArray(list) || list.length === 0 || list.length > 32) throw bad(field, 'expected 1 to 32 Region codes');
  const out = list.map((r: unknown) => {
    if (typeof r !== 'string' || !REGION.test(r)) throw bad(field, `${JSON.stringify(String(r).slice(0, 40))} is not a Region code such as us-east-1`);
    return r;
  });
  return [...new Set(out)];
}

function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw bad(field, `expected one of ${allowed.join(', ')}`);
  return value as T;
}

function bool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw bad(field, 'expected true or false');
  return value;
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(field, 'expected an object');
  return value as Record<string, unknown>;
}

const KEY_HOLDERS = ['aws', 'own-hsm', 'only-us'] as const;
const KEY_TYPES = ['symmetric', 'rsa', 'ecc'] as const;

function applyRequirements(base: Requirements, raw: unknown): Requirements {
  const r = { ...base };
  for (const [k, v] of Object.entries(object(raw, 'requirements'))) {
    switch (k) {
      case 'fips140Level3':
      case 'singleTenancy':
      case 'pkcs11':
      case 'awsIntegration':
        r[k] = bool(v, `requirements.${k}`);
        break;
      case 'keyHolder':
        r.keyHolder = oneOf(v, 'requirements.keyHolder', KEY_HOLDERS);
        break;
      default:
        throw bad('requirements', `unknown field ${JSON.stringify(k.slice(0, 40))} (known: fips140Level3, singleTenancy, keyHolder, pkcs11, awsIntegration)`);
    }
  }
  return r;
}

/**
 * Apply a workload object (from a JSON file) onto a base workload, strictly.
 * @throws StrongroomError INVALID_ARGUMENT naming the field.
 */
export function applyWorkload(base: Workload, raw: unknown): Workload {
  const w: Workload = { ...base, cache: { ...base.cache }, regions: [...base.regions], requirements: { ...base.requirements } };
  let hitRateGiven = false;
  for (const [k, v] of Object.entries(object(raw, '(file)'))) {
    switch (k) {
      case 'peakOpsPerSecond':
        w.peakOpsPerSecond = parseCount(v, k, 1, 1e9);
        break;
      case 'opsPerMonth':
        w.opsPerMonth = parseCount(v, k, 1, 1e13);
        break;
      case 'messageBytes':
        w.messageBytes = parseCount(v, k, 1, 2 ** 36);
        break;
      case 'keys':
        w.keys = parseCount(v, k, 1, 1e6);
        break;
      case 'regions':
        w.regions = parseRegions(v, k);
        break;
      case 'keyType':
        w.keyType = oneOf(v, k, KEY_TYPES);
        break;
      case 'cache': {
        const c = object(v, 'cache');
        // A hit rate alone means the cache is on (or off, at 0).
        if (!('enabled' in c) && 'hitRate' in c) w.cache.enabled = parseRate(c.hitRate, 'cache.hitRate') > 0;
        for (const [ck, cv] of Object.entries(c)) {
          if (ck === 'enabled') w.cache.enabled = bool(cv, 'cache.enabled');
          else if (ck === 'hitRate') {
            w.cache.hitRate = parseRate(cv, 'cache.hitRate');
            hitRateGiven = true;
          } else throw bad('cache', `unknown field ${JSON.stringify(ck.slice(0, 40))} (known: enabled, hitRate)`);
        }
        break;
      }
      case 'requirements':
        w.requirements = applyRequirements(w.requirements, v);
        break;
      default:
        throw bad('(file)', `unknown field ${JSON.stringify(k.slice(0, 40))} (known: peakOpsPerSecond, opsPerMonth, messageBytes, cache, keys, regions, keyType, requirements)`);
    }
  }
  return normalise(w, hitRateGiven);
}

/** Cache off means no hits; cache on without a rate gets the default rate. */
export function normalise(w: Workload, hitRateGiven: boolean): Workload {
  if (!w.cache.enabled) return { ...w, cache: { enabled: false, hitRate: 0 } };
  if (!hitRateGiven && w.cache.hitRate === 0) return { ...w, cache: { enabled: true, hitRate: DEFAULT_HIT_RATE } };
  return w;
}

const MAX_FILE = 64 * 1024;

/** Parse a workload file's text (JSON). @throws StrongroomError INVALID_ARGUMENT. */
export function parseWorkloadText(text: string, name: string, base: Workload = DEFAULT_WORKLOAD): Workload {
  if (text.length > MAX_FILE) throw new StrongroomError('INVALID_ARGUMENT', `--workload ${name}: larger than ${MAX_FILE / 1024} KiB; a workload is a small JSON object`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new StrongroomError('INVALID_ARGUMENT', `--workload ${name}: not valid JSON (${(error as Error).message}) — see docs/choosing-a-backend.md#your-workload`, { cause: error });
  }
  try {
    return applyWorkload(base, raw);
  } catch (error) {
    if (StrongroomError.isInstance(error)) throw new StrongroomError('INVALID_ARGUMENT', `--workload ${name}: ${error.message}`, { cause: error });
    throw error;
  }
}
