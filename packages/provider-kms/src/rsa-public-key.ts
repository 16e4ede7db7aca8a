/**
 * The public key of an AWS KMS RSA key, as the caller hands it over (PEM or DER
 * SubjectPublicKeyInfo, RFC 5280 §4.1.2.7 — the format KMS GetPublicKey returns) or as
 * GetPublicKey returns it. KMS RSA keys are RSA_2048, RSA_3072 or RSA_4096 (AWS KMS Developer
 * Guide, "RSA key specs"); the KMS RSA keyring spec requires at least 2048 bits, since the
 * wrapped plaintext is a 48-byte SHA-384 digest plus the data key
 * (aws-encryption-sdk-specification framework/aws-kms/aws-kms-rsa-keyring.md#initialization).
 */
import { createPublicKey, KeyObject } from 'node:crypto';
import { StrongroomError } from '@strongroom/core';

/** An RSA public key: PEM text, DER SubjectPublicKeyInfo bytes, or a node:crypto KeyObject. */
export type RsaPublicKeyInput = string | Uint8Array | KeyObject;

/** Modulus sizes of the KMS RSA key specs. */
export const KMS_RSA_MODULUS_BITS: readonly number[] = [2048, 3072, 4096];

function invalid(message: string, cause?: unknown): StrongroomError {
  return new StrongroomError('INVALID_ARGUMENT', message, cause === undefined ? {} : { cause });
}

function isPem(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 11)).toString('latin1') === '-----BEGIN ';
}

/**
 * Parse and check an RSA public key for the KMS RSA provider.
 * @throws StrongroomError INVALID_ARGUMENT when it is not a public key, not RSA (OAEP, i.e.
 *   rsaEncryption), or not 2048, 3072 or 4096 bits.
 */
export function kmsRsaPublicKey(input: unknown, name = 'publicKey'): KeyObject {
  let key: KeyObject;
  if (input instanceof KeyObject) {
    key = input;
  } else if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : isPem(input) ? Buffer.from(input).toString('latin1') : undefined;
    if (text !== undefined && text.includes('PRIVATE KEY')) {
      throw invalid(`${name}: this is a private key; give the key's public key (KMS GetPublicKey, or \`aws kms get-public-key\`)`);
    }
    try {
      key = createPublicKey(text !== undefined ? text : { key: Buffer.from(input as Uint8Array), format: 'der', type: 'spki' });
    } catch (e) {
      throw invalid(`${name}: not a PEM or DER SubjectPublicKeyInfo public key (what KMS GetPublicKey returns)`, e);
    }
  } else {
    throw invalid(`${name}: expected a PEM string, DER SubjectPublicKeyInfo bytes or a KeyObject`);
  }
  if (key.type !== 'public') throw invalid(`${name}: expected a public key, got a ${key.type} key`);
  if (key.asymmetricKeyType !== 'rsa') {
    throw invalid(`${name}: not an RSA key (${String(key.asymmetricKeyType)}); the KMS RSA provider needs the public key of an RSA_2048/3072/4096 ENCRYPT_DECRYPT key`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits === undefined || !KMS_RSA_MODULUS_BITS.includes(bits)) {
    throw invalid(`${name}: a ${String(bits)}-bit RSA key is not a KMS RSA key; KMS RSA keys have 2048, 3072 or 4096 bits`);
  }
  return key;
}
