/**
 * The shared KeyProvider conformance suite (@strongroom/testing), run against KmsRsaKeyProvider on
 * kms-local: encrypt with the public key only, decrypt through KMS Decrypt. Suites without an
 * asymmetric signature only (the KMS RSA keyring spec refuses signing suites).
 */
import { describeKeyProviderConformance } from '@strongroom/testing';
import { KmsRsaKeyProvider } from '../src/index';
import { createRsaKey, startKms } from './helpers';

for (const encryptionAlgorithm of ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] as const) {
  describeKeyProviderConformance(
    `KmsRsaKeyProvider ${encryptionAlgorithm} (kms-local)`,
    async () => {
      const { client, close } = await startKms();
      const [a, b] = [await createRsaKey(client), await createRsaKey(client, 'RSA_3072')];
      const clientProvider = () => client;
      return {
        provider: KmsRsaKeyProvider({ keyId: a.arn, encryptionAlgorithm, publicKey: a.publicKey, clientProvider }),
        other: KmsRsaKeyProvider({ keyId: b.arn, encryptionAlgorithm, publicKey: b.publicKey, clientProvider }),
        cleanup: close,
      };
    },
    { suites: [0x0478, 0x0114, 0x0014] },
  );
}
