/**
 * The node's mechanisms (a subset of CloudHSM's,
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/pkcs11-mechanisms.html), on node:crypto:
 * AES-GCM with the IV generated inside the node (CKM_AES_GCM as CloudHSM does it), AES key wrap
 * RFC 3394 (IV A6A6A6A6A6A6A6A6) and RFC 5649 (AIV A65959A6), RSA-OAEP with SHA-1/256/384/512
 * (MGF1 with the same hash), RSA-PSS (salt length = hash length) and PKCS#1 v1.5 signatures,
 * ECDSA P-256/P-384 (DER signatures), HMAC-SHA-256/384/512 and SHA-2 digests.
 */
import {
  constants, createCipheriv, createDecipheriv, createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPair,
  privateDecrypt, publicEncrypt, sign as nodeSign, timingSafeEqual, verify as nodeVerify, type KeyObject,
} from 'node:crypto';
import { StrongroomError } from '@strongroom/core';
import { pooledRandomBytes } from './random-pool';

export type Hash = 'sha1' | 'sha256' | 'sha384' | 'sha512';
export type SignMechanism = { type: 'ecdsa' | 'rsa-pss' | 'rsa-pkcs1'; hash: 'sha256' | 'sha384' | 'sha512' };
export type WrapMechanism = 'aes-kw' | 'aes-kwp' | 'rsa-oaep-sha1' | 'rsa-oaep-sha256' | 'rsa-oaep-sha384' | 'rsa-oaep-sha512' | 'aes-gcm';

export const GCM_IV_BYTES = 12;
export const GCM_TAG_BYTES = 16;
const HASH_BYTES: Record<Hash, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

function bad(message: string): StrongroomError {
  return new StrongroomError('INVALID_ARGUMENT', message);
}

export function aesGcmEncrypt(key: Buffer, plaintext: Uint8Array, aad: Uint8Array): { iv: Buffer; ciphertext: Buffer; tag: Buffer } {
  const iv = pooledRandomBytes(GCM_IV_BYTES);
  const c = createCipheriv(`aes-${key.length * 8}-gcm` as 'aes-256-gcm', key, iv);
  if (aad.length > 0) c.setAAD(aad);
  const ciphertext = Buffer.concat([c.update(plaintext), c.final()]);
  return { iv, ciphertext, tag: c.getAuthTag() };
}

/** @throws StrongroomError AUTHENTICATION_FAILED when the tag does not verify. */
export function aesGcmDecrypt(key: Buffer, iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad: Uint8Array): Buffer {
  if (iv.length !== GCM_IV_BYTES) throw bad('iv must be 12 bytes');
  if (tag.length !== GCM_TAG_BYTES) throw bad('tag must be 16 bytes');
  const d = createDecipheriv(`aes-${key.length * 8}-gcm` as 'aes-256-gcm', key, iv);
  if (aad.length > 0) d.setAAD(aad);
  d.setAuthTag(tag);
  try {
    return Buffer.concat([d.update(ciphertext), d.final()]);
  } catch {
    throw new StrongroomError('AUTHENTICATION_FAILED', 'AES-GCM tag did not verify');
  }
}

const KW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');
const KWP_IV = Buffer.from('A65959A6', 'hex');

/** RFC 3394 (`pad` false; input a multiple of 8, ≥ 16 bytes) or RFC 5649 (`pad` true). */
export function aesKeyWrap(kek: Buffer, data: Uint8Array, pad: boolean): Buffer {
  if (!pad && (data.length < 16 || data.length % 8 !== 0)) throw bad('RFC 3394 key wrap needs a multiple of 8 bytes, at least 16; use aes-kwp');
  const c = createCipheriv(`id-aes${kek.length * 8}-wrap${pad ? '-pad' : ''}`, kek, pad ? KWP_IV : KW_IV);
  return Buffer.concat([c.update(data), c.final()]);
}

/** @throws StrongroomError AUTHENTICATION_FAILED when the integrity check fails. */
export function aesKeyUnwrap(kek: Buffer, wrapped: Uint8Array, pad: boolean): Buffer {
  try {
    const d = createDecipheriv(`id-aes${kek.length * 8}-wrap${pad ? '-pad' : ''}`, kek, pad ? KWP_IV : KW_IV);
    return Buffer.concat([d.update(wrapped), d.final()]);
  } catch {
    throw new StrongroomError('AUTHENTICATION_FAILED', 'AES key unwrap integrity check failed');
  }
}

export function rsaOaepEncrypt(publicKey: KeyObject, hash: Hash, data: Uint8Array): Buffer {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, data);
}

export function rsaOaepDecrypt(privateKey: KeyObject, hash: Hash, data: Uint8Array): Buffer {
  try {
    return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, data);
  } catch {
    throw new StrongroomError('AUTHENTICATION_FAILED', 'RSA-OAEP decryption failed');
  }
}

function signOptions(key: KeyObject, m: SignMechanism) {
  if (m.type === 'rsa-pss') return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[m.hash] };
  if (m.type === 'rsa-pkcs1') return { key, padding: constants.RSA_PKCS1_PADDING };
  return { key, dsaEncoding: 'der' as const };
}

export function signData(privateKey: KeyObject, m: SignMechanism, data: Uint8Array): Buffer {
  return nodeSign(m.hash, data, signOptions(privateKey, m));
}

export function verifyData(publicKey: KeyObject, m: SignMechanism, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return nodeVerify(m.hash, data, signOptions(publicKey, m), signature);
  } catch {
    return false;
  }
}

export function hmac(key: Buffer, hash: 'sha256' | 'sha384' | 'sha512', data: Uint8Array): Buffer {
  return createHmac(hash, key).update(data).digest();
}

export function hmacVerify(key: Buffer, hash: 'sha256' | 'sha384' | 'sha512', data: Uint8Array, mac: Uint8Array): boolean {
  const want = hmac(key, hash, data);
  return mac.length === want.length && timingSafeEqual(want, mac);
}

export function digest(hash: 'sha256' | 'sha384' | 'sha512', data: Uint8Array): Buffer {
  return createHash(hash).update(data).digest();
}

export async function generateRsa(bits: number): Promise<{ privateDer: Buffer; publicDer: Buffer }> {
  return new Promise((resolve, reject) =>
    generateKeyPair('rsa', { modulusLength: bits, publicExponent: 65537 }, (err, pub, priv) =>
      err ? reject(err) : resolve({ privateDer: priv.export({ type: 'pkcs8', format: 'der' }), publicDer: pub.export({ type: 'spki', format: 'der' }) }),
    ),
  );
}

export async function generateEc(curve: 'P-256' | 'P-384'): Promise<{ privateDer: Buffer; publicDer: Buffer }> {
  return new Promise((resolve, reject) =>
    generateKeyPair('ec', { namedCurve: curve }, (err, pub, priv) =>
      err ? reject(err) : resolve({ privateDer: priv.export({ type: 'pkcs8', format: 'der' }), publicDer: pub.export({ type: 'spki', format: 'der' }) }),
    ),
  );
}

export function privateKeyFromDer(der: Buffer): KeyObject {
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

export function publicKeyFromDer(der: Buffer): KeyObject {
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

/** Describe an imported asymmetric key: type, bits / curve. @throws INVALID_ARGUMENT for unsupported keys. */
export function describeAsymmetric(key: KeyObject): { type: 'rsa' | 'ec'; bits: number; curve?: 'P-256' | 'P-384' } {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    const bits = d.modulusLength ?? 0;
    if (![2048, 3072, 4096].includes(bits)) throw bad('RSA keys must be 2048, 3072 or 4096 bits');
    return { type: 'rsa', bits };
  }
  if (key.asymmetricKeyType === 'ec') {
    if (d.namedCurve === 'prime256v1') return { type: 'ec', bits: 256, curve: 'P-256' };
    if (d.namedCurve === 'secp384r1') return { type: 'ec', bits: 384, curve: 'P-384' };
  }
  throw bad('only RSA 2048/3072/4096 and EC P-256/P-384 keys are supported');
}
