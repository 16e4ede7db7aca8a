/**
 * Strict parsers for command-line values that come from outside (docs/cli.md): encryption context
 * pairs, byte sizes, durations, lists, s3:// URLs. Each failure is a UsageError naming the flag.
 */
import { UsageError } from './exit';

const MAX_CONTEXT_PAIRS = 64;
const MAX_CONTEXT_FIELD = 1024;

/** `--context k=v` (repeatable) → an encryption context. Keys must be unique and not reserved. */
export function parseContext(pairs: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (!pairs) return { ...out };
  if (pairs.length > MAX_CONTEXT_PAIRS) throw new UsageError(`--context: at most ${MAX_CONTEXT_PAIRS} pairs`);
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--context ${JSON.stringify(pair.slice(0, 80))}: expected key=value`);
    const k = pair.slice(0, eq);
    const v = pair.slice(eq + 1);
    if (k.length > MAX_CONTEXT_FIELD || v.length > MAX_CONTEXT_FIELD) throw new UsageError(`--context: keys and values are at most ${MAX_CONTEXT_FIELD} characters`);
    if (k.startsWith('aws-crypto-')) throw new UsageError(`--context ${k}: the aws-crypto- prefix is reserved`);
    if (Object.hasOwn(out, k)) throw new UsageError(`--context ${k}: given twice`);
    out[k] = v;
  }
  return { ...out };
}

const SIZE = /^(\d{1,12})(B|KiB|MiB|GiB|KB|MB|GB|k|K|M|G)?$/;
const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, KB: 1000, MB: 1e6, GB: 1e9, k: 1024, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** `1KiB`, `64MiB`, `4096` → bytes (≤ 1 GiB). */
export function parseSize(value: string, flag: string): number {
  const m = SIZE.exec(value.trim());
  if (!m) throw new UsageError(`${flag} ${JSON.stringify(value.slice(0, 40))}: expected a size such as 1KiB or 1MiB`);
  const n = Number(m[1]) * UNITS[m[2] ?? 'B']!;
  if (!Number.isSafeInteger(n) || n > 1024 ** 3) throw new UsageError(`${flag} ${value}: at most 1GiB`);
  return n;
}

/** `10s`, `500ms`, `2m` → milliseconds (10 ms … 1 h). */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d{1,7}(?:\.\d{1,3})?)(ms|s|m)?$/.exec(value.trim());
  if (!m) throw new UsageError(`${flag} ${JSON.stringify(value.slice(0, 40))}: expected a duration such as 10s or 500ms`);
  const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
  if (!(ms >= 10 && ms <= 3_600_000)) throw new UsageError(`${flag} ${value}: between 10ms and 1h`);
  return Math.round(ms);
}

/** A comma-separated list, each item checked by `item`; duplicates removed, order kept. */
export function parseList<T>(value: string, flag: string, item: (s: string) => T, max = 16): T[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.length > max || parts.some((p) => p === '')) throw new UsageError(`${flag}: expected a comma-separated list of at most ${max} items`);
  return [...new Set(parts)].map(item);
}

/** A positive integer flag (≤ max, which may be up to Number.MAX_SAFE_INTEGER). */
export function parsePositiveInt(value: string, flag: string, max: number): number {
  if (!/^\d{1,16}$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) throw new UsageError(`${flag} ${JSON.stringify(value.slice(0, 40))}: expected a positive integer`);
  const n = Number(value);
  if (n < 1 || n > max) throw new UsageError(`${flag} ${value}: between 1 and ${max}`);
  return n;
}

/** A non-negative number flag (prices etc.). */
export function parseNonNegative(value: string, flag: string): number {
  if (!/^\d{1,12}(\.\d{1,9})?$/.test(value.trim())) throw new UsageError(`${flag} ${JSON.stringify(value.slice(0, 40))}: expected a non-negative number`);
  return Number(value);
}

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

/** `s3://bucket/key` → location; undefined for anything not starting with `s3://`. */
export function parseS3Url(value: string): S3Location | undefined {
  if (!value.startsWith('s3://')) return undefined;
  const rest = value.slice(5);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new UsageError(`${JSON.stringify(value.slice(0, 80))}: bad bucket name`);
  if (key.length === 0 || key.length > 1024 || /[\u0000-\u001f\u007f]/.test(key)) throw new UsageError(`${JSON.stringify(value.slice(0, 80))}: expected s3://bucket/key with a key of 1-1024 characters`);
  return { bucket, key };
}
