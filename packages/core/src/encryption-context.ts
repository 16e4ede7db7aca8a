/**
 * Encryption context: validation and serialization.
 * spec: framework/structures.md#encryption-context and #serialization — an empty context serializes
 * to zero bytes; otherwise `u16 count ‖ (u16 keyLen ‖ key ‖ u16 valueLen ‖ value)*`, entries sorted
 * ascending by the UTF-8 bytes of the key.
 */
import { ByteReader, fromUtf8, putU16, utf8 } from './bytes';
import { malformed, StrongroomError } from './errors';
import type { EncryptionContext } from './key-provider';

/** Keys with this prefix are reserved for the SDK (e.g. `aws-crypto-public-key`). */
export const RESERVED_PREFIX = 'aws-crypto-';
export const PUBLIC_KEY_FIELD = 'aws-crypto-public-key';

/**
 * Validate a caller-supplied context: a plain string→string map, without reserved keys unless
 * `allowReserved` (an *expected* context may name them, e.g. to pin `aws-crypto-public-key`).
 * Returns a null-prototype snapshot of its own entries, so keys such as `__proto__` or `toString`
 * are data, never inherited members, and later changes to the caller's object change nothing.
 */
export function checkCallerContext(context: unknown, name = 'encryptionContext', allowReserved = false): EncryptionContext {
  const snapshot: Record<string, string> = Object.create(null);
  if (context === undefined) return snapshot;
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    throw new StrongroomError('INVALID_ARGUMENT', `${name}: expected an object of string values`);
  }
  // Keys, then one read each (as Object.entries reads them), without an [k, v] array per entry.
  for (const k of Object.keys(context)) {
    const v = (context as Record<string, unknown>)[k];
    if (typeof v !== 'string') {
      throw new StrongroomError('INVALID_ARGUMENT', `${name}: the value of "${k}" must be a string`);
    }
    if (!allowReserved && k.startsWith(RESERVED_PREFIX)) {
      // spec: client-apis/encrypt.md — the caller's context MUST NOT use the reserved prefix.
      throw new StrongroomError('ENCRYPTION_CONTEXT', `${name}: key "${k}" uses the reserved prefix "${RESERVED_PREFIX}"`);
    }
    snapshot[k] = v;
  }
  return snapshot;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** True when the context has no own entries. */
export function isEmpty(context: EncryptionContext): boolean {
  for (const key in context) if (Object.hasOwn(context, key)) return false;
  return true;
}

/** Serialize a context, entries sorted by the UTF-8 bytes of their keys. Empty → zero bytes. */
export function serializeEncryptionContext(context: EncryptionContext): Uint8Array {
  if (isEmpty(context)) return new Uint8Array(0);
  const entries = Object.entries(context).map(([k, v]) => [utf8(k), utf8(v)] as const);
  if (entries.length === 0) return new Uint8Array(0);
  if (entries.length > 0xffff) throw new StrongroomError('INVALID_ARGUMENT', 'encryption context has more than 65535 entries');
  entries.sort((a, b) => compareBytes(a[0], b[0]));
  let length = 2;
  for (const [k, v] of entries) length += 4 + k.length + v.length;
  // Also covers every key's and value's u16 length (none can be longer than the whole).
  if (length > 0xffff) throw new StrongroomError('INVALID_ARGUMENT', `encryption context serializes to ${length} bytes; at most 65535 are allowed`);
  // Written at its exact size, byte by byte (no DataView: see putU16).
  const out = new Uint8Array(length);
  let at = putU16(out, 0, entries.length);
  for (const [k, v] of entries) {
    at = putU16(out, at, k.length);
    out.set(k, at);
    at = putU16(out, at + k.length, v.length);
    out.set(v, at);
    at += v.length;
  }
  return out;
}

/**
 * Parse a serialized context. Entries need not be sorted (old writers did not sort; the header tag
 * covers the raw bytes), but duplicate keys and invalid UTF-8 are rejected.
 */
export function parseEncryptionContext(bytes: Uint8Array): Record<string, string> {
  const context: Record<string, string> = Object.create(null);
  if (bytes.length === 0) return context;
  const r = new ByteReader(bytes);
  try {
    const count = r.uint(2);
    if (count === 0) throw malformed('encryption context: a non-empty section must have at least one entry');
    for (let i = 0; i < count; i++) {
      const key = fromUtf8(r.lengthPrefixed(), 'an encryption context key');
      const value = fromUtf8(r.lengthPrefixed(), 'an encryption context value');
      if (Object.hasOwn(context, key)) throw malformed(`encryption context: duplicate key "${key}"`);
      context[key] = value;
    }
  } catch (e) {
    if (StrongroomError.isInstance(e)) throw e;
    throw malformed('encryption context: truncated');
  }
  if (r.remaining !== 0) throw malformed('encryption context: trailing bytes after the last entry');
  return context;
}

/** Throws ENCRYPTION_CONTEXT unless every expected entry is present in `actual` with the same value. */
export function checkExpectedContext(actual: EncryptionContext, expected: EncryptionContext | undefined): void {
  if (!expected) return;
  for (const [k, v] of Object.entries(expected)) {
    if (!Object.hasOwn(actual, k) || actual[k] !== v) {
      throw new StrongroomError('ENCRYPTION_CONTEXT', `The message's encryption context does not match the expected value for "${k}"`);
    }
  }
}
