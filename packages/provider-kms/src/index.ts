/**
 * `@strongroom/provider-kms` — KeyProviders over @aws-sdk/client-kms: the AWS KMS keyring and the AWS KMS
 * RSA keyring (aws-encryption-sdk-specification framework/aws-kms/; docs/architecture.md#keyprovider).
 *
 * @module \@strongroom/provider-kms
 */
export { KMS_PROVIDER_ID, type KmsKeyProviderOptions, type KmsDiscoveryFilter } from './kms-key-provider';
export { KmsKeyProvider, kmsKeyProviders } from './node-kms-key-provider';
export { createKmsClientSupplier, cacheClients, limitRegions, excludeRegions, type KmsClientLike, type KmsClientSupplier } from './client-supplier';
export { isMultiRegionKey, mrkMatch, parseKmsArn, type KmsArn } from './arn';
export { isRetryable, type RetryOptions } from './retry';
export { callKms, isDeadlineError, type CallKmsOptions } from './call';
export { kmsKeyProviderFromConfig, parseKmsConfig, type KmsConfigSection } from './from-config';
export {
  KmsRsaKeyProvider,
  KMS_RSA_PROVIDER_ID,
  KMS_RSA_ENCRYPTION_ALGORITHMS,
  type KmsRsaKeyProviderOptions,
  type KmsRsaEncryptionAlgorithm,
} from './kms-rsa-key-provider';
export { kmsRsaPublicKey, KMS_RSA_MODULUS_BITS, type RsaPublicKeyInput } from './rsa-public-key';
