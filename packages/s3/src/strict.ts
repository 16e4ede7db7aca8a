/**
 * Strict decoders for envelope values: every length is capped before anything is
 * allocated, and every failure is a typed `MALFORMED` error naming the offending mapkey — never the
 * value, which may be attacker-controlled and large.
 */
import { malformed } from '@strongroom/core';
import { concatBytes, fromBase64, toBase64 } from './bytes';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decode canonical, padded base64 of `min..max` decoded bytes. */
export function decodeBase64(value: string, name: string, min: number, max: number): Uint8Array {
  // Cap the string length first: 4 chars per 3 bytes, rounded up.
  if (value.length > Math.ceil(max / 3) * 4 || value.length % 4 !== 0 || !BASE64.test(value)) {
    throw malformed(`${name}: not canonical base64 of at most ${max} bytes`);
  }
  const bytes = fromBase64(value);
  if (bytes.length < min || bytes.length > max) {
    throw malformed(`${name}: expected ${min === max ? min : `${min}..${max}`} bytes, got ${bytes.length}`);
  }
  // Round-trip check rejects non-canonical trailing bits.
  if (toBase64(bytes) !== value) throw malformed(`${name}: not canonical base64`);
  return bytes;
}

/** Maximum size of a JSON map value (materials description / encryption context). */
export const MAX_JSON_MAP_CHARS = 16 * 1024;
/** Maximum entries in such a map. */
export const MAX_JSON_MAP_ENTRIES = 64;

/** Parse a JSON object whose values are all strings (a materials description or KMS context). */
export function parseStringMap(raw: string, name: string): Record<string, string> {
  if (raw.length > MAX_JSON_MAP_CHARS) throw malformed(`${name}: longer than ${MAX_JSON_MAP_CHARS} characters`);
  const value = decodeRfc2047(raw, name);
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

/**
 * Serialize a string map as compact JSON with sorted keys. Non-ASCII characters are written as
 * `\uXXXX` escapes: the value stays valid JSON that every client parses to the same map, and it is
 * plain ASCII, so it survives HTTP headers (S3 would otherwise RFC 2047-encode it).
 */
export function stringifyStringMap(map: Readonly<Record<string, string>>): string {
  // Null prototype: a key named `__proto__` is data here, not the object's prototype (which `{}` would drop).
  const sorted: Record<string, string> = Object.create(null);
  for (const k of Object.keys(map).sort()) sorted[k] = map[k]!;
  return JSON.stringify(sorted).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const ENCODED_WORD = /^=\?([A-Za-z0-9_-]{1,40})\?([BbQq])\?([^?\s]*)\?=$/;

/**
 * Decode RFC 2047 encoded-words (`=?UTF-8?B?…?=`, `=?UTF-8?Q?…?=`), which is how S3 returns
 * non-ASCII user-metadata values ("double encoding"; spec content-metadata.md: clients SHOULD decode
 * it). Values that are not encoded-words are returned unchanged. Only UTF-8 (and US-ASCII) charsets.
 * @throws StrongroomError MALFORMED for an unsupported charset or bad encoding.
 */
export function decodeRfc2047(value: string, name: string): string {
  const words = value.trim().split(/\s+/);
  if (!words.every((w) => ENCODED_WORD.test(w))) return value;
  const bytes: Uint8Array[] = [];
  for (const w of words) {
    const [, charset, enc, text] = ENCODED_WORD.exec(w)!;
    if (!/^(utf-8|us-ascii)$/i.test(charset!)) throw malformed(`${name}: unsupported RFC 2047 charset`);
    if (enc!.toUpperCase() === 'B') {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text!)) throw malformed(`${name}: bad RFC 2047 base64`);
      try {
        bytes.push(fromBase64(text!.replace(/=+$/, '').padEnd(Math.ceil(text!.replace(/=+$/, '').length / 4) * 4, '=')));
      } catch {
        throw malformed(`${name}: bad RFC 2047 base64`);
      }
    } else {
      if (/=(?![0-9A-Fa-f]{2})/.test(text!)) throw malformed(`${name}: bad RFC 2047 quoted-printable`);
      const q = text!.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
      bytes.push(Uint8Array.from(q, (c) => c.charCodeAt(0) & 0xff));
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(concatBytes(bytes));
  } catch {
    throw malformed(`${name}: RFC 2047 value is not UTF-8`);
  }
}
