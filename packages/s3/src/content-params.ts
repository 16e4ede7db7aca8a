/**
 * The content-encryption parameters of S3EC objects, shared by the Node entry (node:crypto,
 * ./content-crypto.ts) and the web entry (Web Crypto, ./web-content-crypto.ts).
 * spec: s3-encryption/encryption.md (ALG_AES_256_GCM_IV12_TAG16_NO_KDF, ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY),
 * s3-encryption/key-derivation.md (HKDF-SHA512, DERIVEKEY / COMMITKEY).
 *
 * V2: AES-256-GCM under the data key, random 12-byte IV, no AAD, tag appended.
 * V3: HKDF-SHA512(ikm = data key, salt = 28-byte message id): DEK (32 bytes, info 0x0073‖"DERIVEKEY")
 * and commitment (28 bytes, info 0x0073‖"COMMITKEY"); content AES-256-GCM under the DEK with the fixed
 * IV 12 × 0x01 and AAD 0x0073, tag appended.
 */
export const TAG_LENGTH = 16;
export const DATA_KEY_LENGTH = 32;
export const MESSAGE_ID_LENGTH = 28;
export const COMMITMENT_LENGTH = 28;
/** spec: encryption.md — GCM limit of 2^36 − 32 bytes of plaintext per (key, IV). */
export const MAX_GCM_PLAINTEXT = 2 ** 36 - 32;

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
/** Suite id 0x0073 as the 2-byte AAD / HKDF info prefix. */
const SUITE_ID_BYTES = Uint8Array.of(0x00, 0x73);
/** The fixed V3 content IV and AAD. */
export const V3_CONTENT_IV: Uint8Array = new Uint8Array(12).fill(0x01);
export const V3_CONTENT_AAD: Uint8Array = SUITE_ID_BYTES;
/** HKDF info of the V3 data-encryption key and of the commitment. */
export const INFO_DERIVE: Uint8Array = Uint8Array.of(...SUITE_ID_BYTES, ...ascii('DERIVEKEY'));
export const INFO_COMMIT: Uint8Array = Uint8Array.of(...SUITE_ID_BYTES, ...ascii('COMMITKEY'));

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
  return { key: derivedKey, iv: V3_CONTENT_IV, aad: V3_CONTENT_AAD };
}
