/**
 * Key fingerprints for cache identities, on node:crypto (synchronous, so a Node provider states its
 * identity at construction). HMAC-SHA-256 (RFC 2104) keyed with the key material over the fixed
 * label {@link KEY_FINGERPRINT_LABEL} names a secret key without revealing it; a public key's
 * identity is the SHA-256 of its SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7). The web entry
 * computes the same values through Web Crypto (./cache-identity).
 */
import { createHash, createHmac, type KeyObject } from 'node:crypto';
import { KEY_FINGERPRINT_LABEL } from './cache-identity';

/** HMAC-SHA-256(key material, label), hex: names a secret key without revealing it. */
export function secretKeyFingerprint(keyMaterial: Uint8Array): string {
  return createHmac('sha256', keyMaterial).update(KEY_FINGERPRINT_LABEL).digest('hex');
}

/** SHA-256 of the public key's DER SubjectPublicKeyInfo, hex. */
export function publicKeyFingerprint(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}
