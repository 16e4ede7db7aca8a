/**
 * ECDSA for the signed suites on @noble/curves and @noble/hashes (pure JS, audited): the hash is fed
 * incrementally and the digest signed (FIPS 186-5 §6.4: ECDSA signs the hash of the message), so a
 * streamed message is never buffered. Used by `nobleBackend` and, loaded on first use, by the web
 * backend (Web Crypto's ECDSA hashes a whole message in one call and cannot stream). Signatures are
 * DER (the ESDK message footer); high-S signatures are accepted, as OpenSSL and the ESDKs write them.
 * Imports nothing from the package itself, so each entry can bundle or load it alone.
 */
import { p256, p384 } from '@noble/curves/nist.js';
import { sha256, sha384 } from '@noble/hashes/sha2.js';
import type { IncrementalSigner, IncrementalVerifier, SigningKeyPair } from './backend';
import type { SignatureCurve } from './suites';

const CURVES = { 'P-256': { ecdsa: p256, hash: sha256 }, 'P-384': { ecdsa: p384, hash: sha384 } } as const;

/** A fresh key pair; the public key as a SEC1 compressed point, the private key as its scalar bytes. */
export function nobleSigningKey(curve: SignatureCurve): SigningKeyPair {
  const { ecdsa } = CURVES[curve];
  const secretKey = ecdsa.utils.randomSecretKey();
  return { publicKey: ecdsa.getPublicKey(secretKey, true), privateKey: secretKey, curve };
}

export function nobleSigner(key: SigningKeyPair): IncrementalSigner {
  const { ecdsa, hash } = CURVES[key.curve];
  const h = hash.create();
  return {
    update: (data) => void h.update(data),
    sign: () => ecdsa.sign(h.digest(), key.privateKey as Uint8Array, { prehash: false, format: 'der', lowS: false }),
  };
}

/** Undefined when the compressed point is not a valid point of the curve (the caller reports MALFORMED). */
export function nobleVerifier(curve: SignatureCurve, compressedPublicKey: Uint8Array): IncrementalVerifier | undefined {
  const { ecdsa, hash } = CURVES[curve];
  try {
    ecdsa.Point.fromBytes(compressedPublicKey).assertValidity();
  } catch {
    return undefined;
  }
  const h = hash.create();
  return {
    update: (data) => void h.update(data),
    verify: (signature) => {
      try {
        return ecdsa.verify(signature, h.digest(), compressedPublicKey, { prehash: false, format: 'der', lowS: false });
      } catch {
        return false;
      }
    },
  };
}
