/**
 * `@strongroom/provider-kms` — KeyProvider over @aws-sdk/client-kms
 * (docs/architecture.md#keyprovider).
 *
 * @module \@strongroom/provider-kms
 */
export { KmsKeyProvider, kmsKeyProviders, KMS_PROVIDER_ID, type KmsKeyProviderOptions, type KmsDiscoveryFilter } from './kms-key-provider';
export { createKmsClientSupplier, cacheClients, limitRegions, excludeRegions, type KmsClientLike, type KmsClientSupplier } from './client-supplier';
export { isMultiRegionKey, mrkMatch, parseKmsArn, type KmsArn } from './arn';
export { isRetryable, type RetryOptions } from './retry';
export { kmsKeyProviderFromConfig, parseKmsConfig, type KmsConfigSection } from './from-config';
