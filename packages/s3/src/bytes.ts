/**
 * Byte helpers over `Uint8Array` that run in every runtime (no `Buffer`): base64 (RFC 4648 §4, with
 * `btoa`/`atob` from the HTML Standard, present in Node 16+ and every web runtime), random bytes
 * (`crypto.getRandomValues`, W3C Web Cryptography API) and a constant-time comparison. Shared by the
 * Node and web entries, so both parse and write envelopes the same way.
 */

/** Standard base64 (with padding) of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Bytes of standard base64 (the caller checked its alphabet and padding). */
export function fromBase64(value: string): Uint8Array {
  const s = atob(value);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** `n` cryptographically random bytes (getRandomValues fills at most 65536 bytes per call). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/** One array holding `parts` in order. */
export function concatBytes(parts: readonly Uint8Array[], total = parts.reduce((n, p) => n + p.length, 0)): Uint8Array {
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/**
 * Equality of two byte arrays in time independent of where they differ (lengths are not secret:
 * callers compare values of a fixed, public length — tags, commitments, key suffixes).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** UTF-8 bytes of `s`. */
export function utf8(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
