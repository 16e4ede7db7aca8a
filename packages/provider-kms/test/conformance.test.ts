/** The shared KeyProvider conformance suite (@strongroom/testing), run against KmsKeyProvider on kms-local. */
import { describeKeyProviderConformance } from '@strongroom/testing';
import { KmsKeyProvider } from '../src/index';
import { createKeyArn, startKms } from './helpers';

describeKeyProviderConformance('KmsKeyProvider (kms-local)', async () => {
  const { client, close } = await startKms();
  const [a, b] = [await createKeyArn(client), await createKeyArn(client)];
  return {
    provider: KmsKeyProvider({ generatorKeyId: a, clientProvider: () => client }),
    other: KmsKeyProvider({ generatorKeyId: b, clientProvider: () => client }),
    cleanup: close,
  };
});
