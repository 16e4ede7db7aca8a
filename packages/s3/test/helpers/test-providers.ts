/**
 * Test-only key providers exposing the `keyWrap` capability with node:crypto, used until/besides the
 * core RawAesKeyProvider / RawRsaKeyProvider. They implement only what the S3 client uses.
 */
import { createCipheriv, createDecipheriv, privateDecrypt, publicEncrypt, randomBytes, constants, type KeyObject } from 'node:crypto';
import { StrongroomError, type KeyProvider } from '@strongroom/core';

const unsupported = async (): Promise<never> => {
  throw new StrongroomError('UNSUPPORTED', 'test provider: only keyWrap');
};

export function testAesProvider(key: Uint8Array, providerId = 'test-aes'): KeyProvider {
  return {
    providerId,
    generateDataKey: unsupported,
    encryptDataKey: unsupported,
    decryptDataKey: unsupported,
    keyWrap: {
      algorithm: 'aes-gcm',
      async wrap({ plaintext, aad }) {
        const iv = randomBytes(12);
        const c = createCipheriv('aes-256-gcm', key, iv);
        if (aad) c.setAAD(aad);
        return Buffer.concat([iv, c.update(plaintext), c.final(), c.getAuthTag()]);
      },
      async unwrap({ wrapped, aad }) {
        if (wrapped.length < 28) throw new StrongroomError('MALFORMED', 'short');
        const w = Buffer.from(wrapped);
        const d = createDecipheriv('aes-256-gcm', key, w.subarray(0, 12));
        if (aad) d.setAAD(aad);
        d.setAuthTag(w.subarray(w.length - 16));
        try {
          return Buffer.concat([d.update(w.subarray(12, w.length - 16)), d.final()]);
        } catch (e) {
          throw new StrongroomError('AUTHENTICATION_FAILED', 'unwrap failed', { cause: e });
        }
      },
    },
  };
}

export function testRsaProvider(publicKey: KeyObject, privateKey: KeyObject | undefined, providerId = 'test-rsa'): KeyProvider {
  return {
    providerId,
    generateDataKey: unsupported,
    encryptDataKey: unsupported,
    decryptDataKey: unsupported,
    keyWrap: {
      algorithm: 'rsa-oaep-sha1',
      async wrap({ plaintext }) {
        return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, plaintext);
      },
      async unwrap({ wrapped }) {
        if (!privateKey) throw new StrongroomError('UNSUPPORTED', 'no private key');
        try {
          return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, wrapped);
        } catch (e) {
          throw new StrongroomError('AUTHENTICATION_FAILED', 'unwrap failed', { cause: e });
        }
      },
    },
  };
}
