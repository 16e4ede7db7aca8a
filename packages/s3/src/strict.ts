/**
 * Strict decoders for envelope values (STYLE.md rule 13): every length is capped before anything is
 * allocated, and every failure is a typed `MALFORMED` error naming the offending mapkey — never the
 * value, which may be attacker-controlled and large.
 */
import { malformed } from '@strongroom/core';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decode canonical, padded base64 of `min..max` decoded bytes. */
export function decodeBase64(value: string, name: string, min: number, max: number): Uint8Array {
  // Cap the string length first: 4 chars per 3 bytes, rounded up.
  if (value.length > Math.ceil(max / 3) * 4 || value.length % 4 !== 0 || !BASE64.test(value)) {
    throw malformed(`${name}: not canonical base64 of at most ${max} bytes`);
  }
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length < min || bytes.length > max) {
    throw malformed(`${name}: expected ${min === max ? min : `${min}..${max}`} bytes, got ${bytes.length}`);
  }
  // Round-trip check rejects non-canonical trailing bits.
  if (bytes.toString('base64') !== value) throw malformed(`${name}: not canonical base64`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Maximum size of a JSON map value (materials description / encryption context). */
export const MAX_JSON_MAP_CHARS = 16 * 1024;
/** Maximum entries in such a map. */
export const MAX_JSON_MAP_ENTRIES = 64;

/** Parse a JSON object whose values are all strings (a materials description or KMS context). */
export function parseStringMap(value: string, name: string): Record<string, string> {
  if (value.length > MAX_JSON_MAP_CHARS) throw malformed(`${name}: longer than ${MAX_JSON_MAP_CHARS} characters`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw malformed(`${name}: not valid JSON`);
  }
  return checkStringMap(parsed, name, MAX_JSON_MAP_ENTRIES);
}

/** Check that `parsed` is a plain object of string values, returning a null-prototype copy. */
export function checkStringMap(parsed: unknown, name: string, maxEntries: number): Record<string, string> {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw malformed(`${name}: expected a JSON object`);
  }
  const entries = Object.entries(parsed);
  if (entries.length > maxEntries) throw malformed(`${name}: more than ${maxEntries} entries`);
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw malformed(`${name}: value of ${JSON.stringify(k.slice(0, 64))} is not a string`);
    out[k] = v;
  }
  return out;
}

/** A decimal, non-negative safe integer of at most 16 digits. */
export function parseDecimal(value: string, name: string): number {
  if (!/^(?:0|[1-9][0-9]{0,15})$/.test(value)) throw malformed(`${name}: not a decimal length`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw malformed(`${name}: out of range`);
  return n;
}

/** Serialize a string map as compact JSON with sorted keys (stable, and what every client parses). */
export function stringifyStringMap(map: Readonly<Record<string, string>>): string {
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(map).sort()) sorted[k] = map[k]!;
  return JSON.stringify(sorted);
}
