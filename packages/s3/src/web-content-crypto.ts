/**
 * Content encryption of S3EC objects with Web Crypto (W3C Web Cryptography API: HKDF, AES-GCM), for
 * the web entry. Web Crypto's AES-GCM is one-shot — the tag is checked over the whole ciphertext
 * before any plaintext exists — so V2/V3 objects are encrypted and decrypted whole, held in memory up
 * to the client's `bufferSize`.
 * spec: s3-encryption/encryption.md, key-derivation.md (HKDF-SHA512, DERIVEKEY / COMMITKEY),
 * decryption.md (commitment before use, tag before release).
 */
import { StrongroomError } from '@strongroom/core';
import { COMMITMENT_LENGTH, DATA_KEY_LENGTH, INFO_COMMIT, INFO_DERIVE, TAG_LENGTH, type ContentParams } from './content-params';
import type { ContentKdf } from './materials-core';

const subtle = () => globalThis.crypto.subtle;
/** A view Web Crypto accepts (an ArrayBuffer-backed copy-free view). */
const buf = (u: Uint8Array): Uint8Array<ArrayBuffer> => u as Uint8Array<ArrayBuffer>;

async function hkdfSha512(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  const key = await subtle().importKey('raw', buf(ikm), 'HKDF', false, ['deriveBits']);
  return new Uint8Array(await subtle().deriveBits({ name: 'HKDF', hash: 'SHA-512', salt: buf(salt), info: buf(info) }, key, length * 8));
}

/** HKDF-SHA512 of key-derivation.md through Web Crypto. */
export const WEB_KDF: ContentKdf = {
  commitment: (dataKey, messageId) => hkdfSha512(dataKey, messageId, INFO_COMMIT, COMMITMENT_LENGTH),
  contentKey: (dataKey, messageId) => hkdfSha512(dataKey, messageId, INFO_DERIVE, DATA_KEY_LENGTH),
};

function gcm(p: ContentParams): { name: 'AES-GCM'; iv: Uint8Array<ArrayBuffer>; tagLength: number; additionalData?: Uint8Array<ArrayBuffer> } {
  return { name: 'AES-GCM', iv: buf(p.iv), tagLength: TAG_LENGTH * 8, ...(p.aad ? { additionalData: buf(p.aad) } : {}) };
}

/** AES-256-GCM of the whole content: ciphertext ‖ tag, the object body S3EC writes. */
export async function sealContent(p: ContentParams, plaintext: Uint8Array): Promise<Uint8Array> {
  const key = await subtle().importKey('raw', buf(p.key), 'AES-GCM', false, ['encrypt']);
  return new Uint8Array(await subtle().encrypt(gcm(p), key, buf(plaintext)));
}

/**
 * Decrypt a whole object body (ciphertext ‖ tag); nothing is returned unless the tag verifies.
 * @throws StrongroomError AUTHENTICATION_FAILED for a bad tag, MALFORMED for a body shorter than the tag.
 */
export async function openContent(p: ContentParams, body: Uint8Array): Promise<Uint8Array> {
  if (body.length < TAG_LENGTH) throw new StrongroomError('MALFORMED', 'S3EC object is shorter than its 16-byte tag');
  const key = await subtle().importKey('raw', buf(p.key), 'AES-GCM', false, ['decrypt']);
  try {
    return new Uint8Array(await subtle().decrypt(gcm(p), key, buf(body)));
  } catch (error) {
    throw new StrongroomError('AUTHENTICATION_FAILED', 'The object failed authentication (AES-GCM tag): it was altered, or the envelope does not belong to it', { cause: error });
  }
}
