/**
 * Content encryption of S3EC objects with node:crypto (OpenSSL AES-NI; the hot path).
 * spec: s3-encryption/encryption.md (ALG_AES_256_GCM_IV12_TAG16_NO_KDF, ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY),
 * s3-encryption/key-derivation.md (HKDF-SHA512, DERIVEKEY / COMMITKEY), decryption.md (commitment check).
 *
 * V2: AES-256-GCM under the data key, random 12-byte IV, no AAD, tag appended.
 * V3: HKDF-SHA512(ikm = data key, salt = 28-byte message id): DEK (32 bytes, info 0x0073‖"DERIVEKEY")
 * and commitment (28 bytes, info 0x0073‖"COMMITKEY"); content AES-256-GCM under the DEK with the fixed
 * IV 12 × 0x01 and AAD 0x0073, tag appended.
 */
import { createCipheriv, createDecipheriv, hkdfSync, timingSafeEqual, type CipherGCM, type DecipherGCM } from 'node:crypto';
import { StrongroomError } from '@strongroom/core';

export const TAG_LENGTH = 16;
export const DATA_KEY_LENGTH = 32;
export const MESSAGE_ID_LENGTH = 28;
export const COMMITMENT_LENGTH = 28;
/** spec: encryption.md — GCM limit of 2^36 − 32 bytes of plaintext per (key, IV). */
export const MAX_GCM_PLAINTEXT = 2 ** 36 - 32;

/** Suite id 0x0073 as the 2-byte AAD / HKDF info prefix. */
const SUITE_ID_BYTES = Buffer.from([0x00, 0x73]);
const V3_IV = Buffer.alloc(12, 0x01);
const INFO_DERIVE = Buffer.concat([SUITE_ID_BYTES, Buffer.from('DERIVEKEY', 'ascii')]);
const INFO_COMMIT = Buffer.concat([SUITE_ID_BYTES, Buffer.from('COMMITKEY', 'ascii')]);

/** The fixed V3 content IV and AAD (exported for tests and ranged GETs). */
export const V3_CONTENT_IV: Uint8Array = V3_IV;
export const V3_CONTENT_AAD: Uint8Array = SUITE_ID_BYTES;

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

/** How to encrypt/decrypt the content: key, IV and AAD for AES-256-GCM. */
export interface ContentParams {
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
  readonly aad: Uint8Array | undefined;
}

export function v2ContentParams(dataKey: Uint8Array, iv: Uint8Array): ContentParams {
  return { key: dataKey, iv, aad: undefined };
}

export function v3ContentParams(derivedKey: Uint8Array): ContentParams {
  return { key: derivedKey, iv: V3_IV, aad: SUITE_ID_BYTES };
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
