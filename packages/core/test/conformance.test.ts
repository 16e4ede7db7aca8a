import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describeKeyProviderConformance } from '@strongroom/testing';
import { RawAesKeyProvider, RawRsaKeyProvider } from '../src/index';

for (const bytes of [16, 24, 32]) {
  describeKeyProviderConformance(`RawAesKeyProvider (AES-${bytes * 8})`, () => ({
    provider: RawAesKeyProvider({ namespace: 'conf', name: 'a', key: randomBytes(bytes) }),
    other: RawAesKeyProvider({ namespace: 'conf', name: 'b', key: randomBytes(bytes) }),
  }));
}

for (const padding of ['oaep-sha1', 'oaep-sha256', 'oaep-sha384', 'oaep-sha512'] as const) {
  const pair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
  describeKeyProviderConformance(
    `RawRsaKeyProvider (${padding})`,
    () => {
      const a = pair();
      const b = pair();
      return {
        provider: RawRsaKeyProvider({ namespace: 'conf', name: 'r', publicKey: a.publicKey, privateKey: a.privateKey, padding }),
        other: RawRsaKeyProvider({ namespace: 'conf', name: 'r', publicKey: b.publicKey, privateKey: b.privateKey, padding }),
      };
    },
    // The ESDK raw RSA keyring does not bind the context into the wrap (spec: raw-rsa-keyring.md).
    { bindsEncryptionContext: false },
  );
}
