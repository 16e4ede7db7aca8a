/**
 * Typed readers for request fields of the AWS JSON 1.1 protocol: blobs are base64 strings,
 * maps are JSON objects of strings. Every problem is a `ValidationException`, like KMS's own
 * input validation ("1 validation error detected: Value … at 'keyId' failed to satisfy constraint").
 */
import { dict } from './dict';
import { validation } from './errors';

export type Input = Readonly<Record<string, unknown>>;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function optString(input: Input, name: string, max = 8192): string | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw validation(`${name}: expected a string`);
  if (v.length > max) throw validation(`${name}: length must be at most ${max}`);
  return v;
}

export function reqString(input: Input, name: string, max = 8192): string {
  const v = optString(input, name, max);
  if (v === undefined || v.length === 0) throw validation(`${name}: required`);
  return v;
}

export function optEnum<T extends string>(input: Input, name: string, allowed: readonly T[]): T | undefined {
  const v = optString(input, name, 64);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) {
    throw validation(`Value '${v}' at '${name}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`);
  }
  return v as T;
}

export function optInt(input: Input, name: string, min: number, max: number): number | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw validation(`${name}: must be an integer from ${min} to ${max}`);
  }
  return v;
}

export function optBool(input: Input, name: string): boolean | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw validation(`${name}: expected a boolean`);
  return v;
}

/** A base64 blob with a length range in decoded bytes. */
export function optBlob(input: Input, name: string, min: number, max: number): Buffer | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  // Cap the encoded length before decoding anything.
  if (typeof v !== 'string' || v.length > Math.ceil(max / 3) * 4 + 4 || v.length % 4 !== 0 || !BASE64.test(v)) {
    throw validation(`${name}: expected base64 of at most ${max} bytes`);
  }
  const bytes = Buffer.from(v, 'base64');
  if (bytes.length < min || bytes.length > max) {
    throw validation(`${name}: length must be between ${min} and ${max} bytes`);
  }
  return bytes;
}

export function reqBlob(input: Input, name: string, min: number, max: number): Buffer {
  const v = optBlob(input, name, min, max);
  if (v === undefined) throw validation(`${name}: required`);
  return v;
}

/** A string→string map (encryption context). */
export function optStringMap(input: Input, name: string): Record<string, string> | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw validation(`${name}: expected a map of strings`);
  // Null prototype: a context key named `__proto__` is an entry like any other and is bound.
  const out = dict<string>();
  let count = 0;
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val !== 'string' || k.length === 0) throw validation(`${name}: keys must be non-empty and values strings`);
    if (++count > 64) throw validation(`${name}: too many entries`);
    out[k] = val;
  }
  return out;
}

export function optStringList(input: Input, name: string, maxItems: number): string[] | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length > maxItems || v.some((x) => typeof x !== 'string')) {
    throw validation(`${name}: expected a list of at most ${maxItems} strings`);
  }
  return v as string[];
}

/** Epoch seconds with millisecond precision, as KMS writes timestamps. */
export function epochSeconds(ms: number): number {
  return Math.round(ms) / 1000;
}
