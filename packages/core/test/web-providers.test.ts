/**
 * The raw providers of the web entry (built dist/web.mjs): the shared KeyProvider conformance suite
 * for RawAesKeyProvider and RawRsaKeyProvider (OAEP SHA-1…512) on Web Crypto, and wrapped keys that
 * the Node entry's providers open and the other way round (PEM PKCS#8/SPKI and PKCS#1 keys).
 */
import { generateKeyPairSync } from 'node:crypto';
import { describeKeyProviderConformance } from '@strongroom/testing';
import { describe, expect, it } from 'vitest';
import * as node from '../src/index';
import { random, u8, web } from './web-entry';

for (const bytes of [16, 32]) {
  describeKeyProviderConformance(`web RawAesKeyProvider (AES-${bytes * 8})`, () => ({
    provider: web.RawAesKeyProvider({ namespace: 'conf', name: 'a', key: random(bytes) }),
    other: web.RawAesKeyProvider({ namespace: 'conf', name: 'b', key: random(bytes) }),
  }));
}

const pem = () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    spki: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    pkcs1: privateKey.export({ type: 'pkcs1', format: 'pem' }) as string,
    pkcs1Public: publicKey.export({ type: 'pkcs1', format: 'pem' }) as string,
  };
};

for (const padding of ['oaep-sha1', 'oaep-sha256', 'oaep-sha384', 'oaep-sha512'] as const) {
  describeKeyProviderConformance(
    `web RawRsaKeyProvider (${padding})`,
    () => {
      const a = pem();
      const b = pem();
      return {
        provider: web.RawRsaKeyProvider({ namespace: 'conf', name: 'r', publicKey: a.spki, privateKey: a.pkcs8, padding }),
        other: web.RawRsaKeyProvider({ namespace: 'conf', name: 'r', publicKey: b.spki, privateKey: b.pkcs8, padding }),
      };
    },
    { bindsEncryptionContext: false },
  );
}

describe('web and Node raw providers open each other’s wrapped keys', () => {
  it('RSA-OAEP SHA-256 both ways, PKCS#1 and PKCS#8 PEM, public key derived from the private one', async () => {
    const keys = pem();
    const nodeRsa = node.RawRsaKeyProvider({ namespace: 'x', name: 'r', privateKey: keys.pkcs8, padding: 'oaep-sha256' });
    const webRsa = web.RawRsaKeyProvider({ namespace: 'x', name: 'r', privateKey: keys.pkcs1, padding: 'oaep-sha256' });
    const webPublicOnly = web.RawRsaKeyProvider({ namespace: 'x', name: 'r', publicKey: keys.pkcs1Public, padding: 'oaep-sha256' });
    const nodeClient = node.createClient({ keyProvider: nodeRsa });
    const plaintext = random(3000);
    for (const writer of [web.createClient({ keyProvider: webRsa }), web.createClient({ keyProvider: webPublicOnly })]) {
      const { ciphertext } = await writer.encrypt(plaintext);
      expect(u8((await nodeClient.decrypt(ciphertext)).plaintext)).toEqual(plaintext);
    }
    const { ciphertext } = await nodeClient.encrypt(plaintext);
    expect((await web.createClient({ keyProvider: webRsa }).decrypt(ciphertext)).plaintext).toEqual(plaintext);
    // Same key pair, same cache identity on both entries.
    expect(await webRsa.cacheIdentity!('decrypt')).toBe(nodeRsa.cacheIdentity!('decrypt'));
  });

  it('AES: the same key gives the same cache identity on both entries; keyWrap interoperates', async () => {
    const key = random(32);
    const a = web.RawAesKeyProvider({ namespace: 'x', name: 'k', key });
    const b = node.RawAesKeyProvider({ namespace: 'x', name: 'k', key });
    expect(await a.cacheIdentity!('encrypt')).toBe(b.cacheIdentity!('encrypt'));
    const wrapped = await a.keyWrap!.wrap({ plaintext: random(32), aad: Uint8Array.of(1, 2) });
    await expect(b.keyWrap!.unwrap({ wrapped, aad: Uint8Array.of(1, 2) })).resolves.toHaveLength(32);
    await expect(b.keyWrap!.unwrap({ wrapped, aad: Uint8Array.of(1, 3) })).rejects.toSatisfy((e) => node.StrongroomError.isInstance(e, 'AUTHENTICATION_FAILED'));
  });

  it('refuses what Web Crypto cannot do, with typed errors', async () => {
    const keys = pem();
    expect(() => web.RawRsaKeyProvider({ namespace: 'x', name: 'r', privateKey: keys.pkcs8, padding: 'pkcs1', allowLegacyPkcs1: true })).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED' }),
    );
    expect(() => web.RawRsaKeyProvider({ namespace: 'x', name: 'r', privateKey: 'not a key', padding: 'oaep-sha1' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => web.RawRsaKeyProvider({ namespace: 'x', name: 'r', privateKey: keys.spki, padding: 'oaep-sha1' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const notRsa = web.createClient({ keyProvider: web.RawRsaKeyProvider({ namespace: 'x', name: 'r', privateKey: ec, padding: 'oaep-sha1' }) });
    await expect(notRsa.encrypt('x')).rejects.toSatisfy((e) => web.StrongroomError.isInstance(e, 'INVALID_ARGUMENT'));
  });
});
