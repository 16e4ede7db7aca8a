/**
 * `@strongroom/provider-kms` for browsers, workers, Deno and Cloudflare Workers (the `browser`,
 * `worker`, `workerd`, `deno` and `default` export conditions): `KmsKeyProvider` over
 * @aws-sdk/client-kms, which runs in browsers (AWS SDK for JavaScript v3 Developer Guide, "Getting
 * started in a browser script"), with the same requests, typed errors, retries and per-attempt
 * deadline as on Node, and no Node import (the build checks). Node-only: `kmsKeyProviderFromConfig`
 * (reads a config file), `KmsRsaKeyProvider` (node:crypto RSA public keys) and the AWS_REGION
 * default (pass `region`, or use key ARNs).
 *
 * @module \@strongroom/provider-kms (web)
 */
import type { KeyProvider } from '@strongroom/core';
import { kmsKeyProvider, type KmsKeyProviderOptions } from './kms-key-provider';

export { KMS_PROVIDER_ID, type KmsKeyProviderOptions, type KmsDiscoveryFilter } from './kms-key-provider';
export { createKmsClientSupplier, cacheClients, limitRegions, excludeRegions, type KmsClientLike, type KmsClientSupplier } from './client-supplier';
export { isMultiRegionKey, mrkMatch, parseKmsArn, type KmsArn } from './arn';
export { isRetryable, type RetryOptions } from './retry';
export { callKms, isDeadlineError, type CallKmsOptions } from './call';

/**
 * Create a KMS key provider (web entry: no environment, so bare key ids and aliases need `region`).
 * @example
 * const provider = KmsKeyProvider({ generatorKeyId: keyArn, clientProvider: createKmsClientSupplier({ credentials }) });
 * @throws StrongroomError INVALID_ARGUMENT for an inconsistent configuration.
 */
export function KmsKeyProvider(options: KmsKeyProviderOptions): KeyProvider {
  return kmsKeyProvider(options, undefined);
}
