/**
 * Content encryption of S3EC objects with node:crypto (OpenSSL AES-NI; the hot path), over the
 * parameters of ./content-params.ts.
 * spec: s3-encryption/encryption.md, s3-encryption/key-derivation.md (HKDF-SHA512, DERIVEKEY /
 * COMMITKEY), decryption.md (commitment check).
 */
import { createCipheriv, createDecipheriv, hkdfSync, timingSafeEqual, type CipherGCM, type DecipherGCM } from 'node:crypto';
import { StrongroomError } from '@strongroom/core';
import { COMMITMENT_LENGTH, DATA_KEY_LENGTH, INFO_COMMIT, INFO_DERIVE, TAG_LENGTH, type ContentParams } from './content-params';

export {
  TAG_LENGTH,
  DATA_KEY_LENGTH,
  MESSAGE_ID_LENGTH,
  COMMITMENT_LENGTH,
  MAX_GCM_PLAINTEXT,
  V3_CONTENT_IV,
  V3_CONTENT_AAD,
  v2ContentParams,
  v3ContentParams,
  type ContentParams,
} from './content-params';

/** Derive the V3 commitment (28 bytes) from the data key and message id. */
export function deriveCommitment(dataKey: Uint8Array, messageId: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha512', dataKey, messageId, INFO_COMMIT, COMMITMENT_LENGTH));
}

/** Derive the V3 data-encryption key (32 bytes). Caller wipes it. */
export function deriveContentKey(dataKey: Uint8Array, messageId: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha512', dataKey, messageId, INFO_DERIVE, DATA_KEY_LENGTH));
}

/**
 * Check the stored commitment in constant time and return the derived content key.
 * spec: decryption.md — the commitment MUST be verified before the derived key is used.
 * @throws StrongroomError AUTHENTICATION_FAILED when the commitment does not match.
 */
export function verifyCommitmentAndDerive(dataKey: Uint8Array, messageId: Uint8Array, commitment: Uint8Array): Buffer {
  const expected = deriveCommitment(dataKey, messageId);
  const ok = commitment.length === expected.length && timingSafeEqual(expected, commitment);
  expected.fill(0);
  if (!ok) throw new StrongroomError('AUTHENTICATION_FAILED', 'S3EC key commitment does not match the data key');
  return deriveContentKey(dataKey, messageId);
}

export function createContentCipher(p: ContentParams): CipherGCM {
  const c = createCipheriv('aes-256-gcm', p.key, p.iv, { authTagLength: TAG_LENGTH });
  if (p.aad) c.setAAD(p.aad);
  return c;
}

export function createContentDecipher(p: ContentParams, tag: Uint8Array): DecipherGCM {
  const d = createDecipheriv('aes-256-gcm', p.key, p.iv, { authTagLength: TAG_LENGTH });
  if (p.aad) d.setAAD(p.aad);
  d.setAuthTag(tag);
  return d;
}

/**
 * AES-256-CTR positioned at GCM's keystream for ciphertext offset `blockIndex * 16`.
 * spec: decryption.md#ranged-gets — GCM's first data block uses counter `IV ‖ 00000002`.
 */
export function createCtrDecipherAt(p: ContentParams, blockIndex: number) {
  if (p.iv.length !== 12) throw new StrongroomError('INTERNAL', 'ranged decrypt needs a 12-byte IV');
  const counter = Buffer.alloc(16);
  counter.set(p.iv, 0);
  // 32-bit big-endian counter; GCM wraps mod 2^32, and 2 + index stays below that for ≤ 64 GiB.
  counter.writeUInt32BE((2 + blockIndex) >>> 0, 12);
  return createDecipheriv('aes-256-ctr', p.key, counter);
}

/** Legacy AES-256-CBC/PKCS#5 decipher (V1 content, unauthenticated). */
export function createCbcDecipher(key: Uint8Array, iv: Uint8Array) {
  return createDecipheriv('aes-256-cbc', key, iv);
}
