/**
 * Field readers for the JSON manifests of the vector loaders (aws-crypto-tools test-vector framework
 * manifests, and the required-EC interop manifest): each checks one field's type and names the field
 * when it is wrong, so a malformed manifest fails loudly instead of yielding `undefined` vectors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export type Json = Record<string, unknown>;

export function object(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what}: expected an object`);
  return value as Json;
}
export function string(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what}: expected a string`);
  return value;
}
/** A map of strings (a missing field is an empty map); null-prototype, so any key is safe. */
export function stringMap(value: unknown, what: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(object(value ?? {}, what))) out[k] = string(v, `${what}.${k}`);
  return out;
}
export function readJson(path: string): Json {
  return object(JSON.parse(readFileSync(path, 'utf8')), path);
}
/** The path a `file://` reference names inside `dir` (a reference with `..` is refused). */
export function fileRef(dir: string, ref: unknown, what: string): string {
  const text = string(ref, what);
  if (!text.startsWith('file://') || text.includes('..')) throw new Error(`${what}: expected a file:// reference inside the set`);
  return join(dir, text.slice('file://'.length));
}
