/**
 * Pure-JS backend on @noble/ciphers, @noble/hashes and @noble/curves (audited, zero dependencies),
 * for runtimes where node:crypto is absent or not trusted. Byte-compatible with the node backend:
 * a message written by one decrypts with the other (tested).
 */
import { gcm } from '@noble/ciphers/aes.js';
import { randomBytes } from '@noble/ciphers/utils.js';
import { expand, extract, hkdf } from '@noble/hashes/hkdf.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { nobleSigner, nobleSigningKey, nobleVerifier } from './noble-ecdsa';
// The main entry by its package name, not by relative path: the built `./noble` entry then imports
// `@strongroom/core` instead of sharing a chunk with it, so both entries use one StrongroomError class
// and the main entry's build stays a single file that exports only the public API.
import { malformed, StrongroomError, type CryptoBackend } from '@strongroom/core';

const HASH = { sha256, sha384, sha512 } as const;

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * The crypto backend on @noble/ciphers, @noble/hashes and @noble/curves (pure JavaScript, audited, no node:crypto).
 *
 * @example
 * ```ts
 * const client = createClient({ keyProvider, backend: nobleBackend });
 * ```
 */
export const nobleBackend: CryptoBackend = {
  name: 'noble',
  randomBytes: (length) => randomBytes(length),
  hkdf: (hash, ikm, salt, info, length) => hkdf(HASH[hash], ikm, salt && salt.length > 0 ? salt : undefined, info, length),
  hkdfExtract: (hash, ikm, salt) => extract(HASH[hash], ikm, salt && salt.length > 0 ? salt : undefined),
  hkdfExpand: (hash, prk, info, length) => expand(HASH[hash], prk, info, length),

  gcmEncrypt(key, iv, aad, plaintext) {
    const sealed = gcm(key, iv, aad).encrypt(concatBytes(plaintext));
    const cut = sealed.length - 16;
    return { ciphertext: [sealed.subarray(0, cut)], tag: sealed.subarray(cut) };
  },

  gcmDecrypt(key, iv, aad, ciphertext, tag) {
    try {
      return [gcm(key, iv, aad).decrypt(concatBytes([...ciphertext, tag]))];
    } catch {
      throw new StrongroomError('AUTHENTICATION_FAILED', 'AES-GCM authentication failed: the data was tampered with or the key is wrong');
    }
  },

  generateSigningKey: nobleSigningKey,
  createSigner: nobleSigner,
  createVerifier(curve, compressedPublicKey) {
    const verifier = nobleVerifier(curve, compressedPublicKey);
    if (!verifier) throw malformed(`The message's signing public key is not a valid ${curve} point`);
    return verifier;
  },

  timingSafeEqual: constantTimeEqual,
};
