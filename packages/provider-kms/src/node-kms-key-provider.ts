/**
 * `KmsKeyProvider` on the Node entry: the shared provider (./kms-key-provider) with the Region for
 * bare key ids and aliases taken from AWS_REGION / AWS_DEFAULT_REGION, as the AWS SDK for
 * JavaScript v3 reads them (https://docs.aws.amazon.com/sdkref/latest/guide/feature-region.html).
 */
import type { KeyProvider } from '@strongroom/core';
import { kmsKeyProvider, type KmsKeyProviderOptions } from './kms-key-provider';

/**
 * Create a KMS key provider.
 * @example
 * const provider = KmsKeyProvider({ generatorKeyId: 'arn:aws:kms:us-east-1:111122223333:key/…' });
 * const client = createClient({ keyProvider: provider });
 * @throws StrongroomError INVALID_ARGUMENT for an inconsistent configuration.
 */
export function KmsKeyProvider(options: KmsKeyProviderOptions): KeyProvider {
  return kmsKeyProvider(options, process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION);
}

/**
 * One provider per configured key, for `createClient({ keyProviders })`.
 * @deprecated `KmsKeyProvider({ generatorKeyId, keyIds })` now emits the generator's EDK plus one
 * Encrypt per additional key id by itself (core's `additionalEncryptedDataKeys`); this helper is
 * kept for existing callers and produces the same EDKs.
 */
export function kmsKeyProviders(options: KmsKeyProviderOptions & { generatorKeyId: string }): KeyProvider[] {
  const { keyIds = [], ...rest } = options;
  return [
    KmsKeyProvider({ ...rest, keyIds: [] }),
    ...keyIds.map((k) => KmsKeyProvider({ ...rest, generatorKeyId: undefined, keyIds: [k] })),
  ];
}
