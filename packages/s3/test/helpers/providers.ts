/** Providers used across the s3 tests: the core raw AES / RSA providers (both expose keyWrap). */
import { generateKeyPairSync } from 'node:crypto';
import { RawAesKeyProvider, RawRsaKeyProvider, type KeyProvider } from '@strongroom/core';

export const AES_KEY = Buffer.alloc(32, 7);
export const rsaPair = generateKeyPairSync('rsa', { modulusLength: 2048 });

export function aesProvider(key: Uint8Array = AES_KEY): KeyProvider {
  return RawAesKeyProvider({ namespace: 's3-test', name: 'aes-1', key });
}

export function rsaProvider(pair = rsaPair): KeyProvider {
  return RawRsaKeyProvider({ namespace: 's3-test', name: 'rsa-1', publicKey: pair.publicKey, privateKey: pair.privateKey, padding: 'oaep-sha1' });
}
