/**
 * AES-GCM on @noble/ciphers (pure JS, audited; NIST SP 800-38D, 16-byte tags). Used by `nobleBackend`
 * and by the web backend where a runtime's Web Crypto refuses a key size (Chromium has no AES-192).
 * Imports nothing from the package itself, so each entry can bundle or load it alone.
 */
import { gcm } from '@noble/ciphers/aes.js';
import type { GcmSealed } from './backend';

function joined(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function nobleGcmSeal(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plaintext: readonly Uint8Array[]): GcmSealed {
  const sealed = gcm(key, iv, aad).encrypt(joined(plaintext));
  const cut = sealed.length - 16;
  return { ciphertext: [sealed.subarray(0, cut)], tag: sealed.subarray(cut) };
}

/** The plaintext, or undefined when the tag does not verify (the caller reports it). */
export function nobleGcmOpen(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, ciphertext: readonly Uint8Array[], tag: Uint8Array): Uint8Array[] | undefined {
  try {
    return [gcm(key, iv, aad).decrypt(joined([...ciphertext, tag]))];
  } catch {
    return undefined;
  }
}
