/**
 * KMS client suppliers: a function from Region to a client (after the ESDK's
 * kms_client_supplier, aws-encryption-sdk-javascript modules/kms-keyring/src/kms_client_supplier.ts). The default supplier creates one `KMSClient` per Region and caches it, with
 * the SDK's own retries off (`maxAttempts: 1`) because the provider retries with backoff itself.
 */
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';

/** The part of a KMS client the provider uses. */
export interface KmsClientLike {
  /** Send a command, as `KMSClient.send` does. */
  send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/** Returns a client for a Region, or undefined to decline that Region. */
export type KmsClientSupplier = (region: string) => KmsClientLike | undefined;

/**
 * One cached `KMSClient` per Region.
 * @example
 * const clientProvider = createKmsClientSupplier({ endpoint: 'http://127.0.0.1:4599', credentials });
 */
export function createKmsClientSupplier(config: Omit<KMSClientConfig, 'region'> = {}): KmsClientSupplier & {
  /** Destroy every cached client (their sockets). */
  destroy(): void;
} {
  const clients = new Map<string, KMSClient>();
  const supplier = (region: string) => {
    let client = clients.get(region);
    if (!client) {
      client = new KMSClient({ maxAttempts: 1, ...config, region });
      clients.set(region, client);
    }
    return client;
  };
  return Object.assign(supplier, {
    destroy() {
      for (const c of clients.values()) c.destroy();
      clients.clear();
    },
  });
}

/** Cache whatever `supplier` returns, one per Region. */
export function cacheClients(supplier: KmsClientSupplier): KmsClientSupplier {
  const cache = new Map<string, KmsClientLike | undefined>();
  return (region) => {
    if (!cache.has(region)) cache.set(region, supplier(region));
    return cache.get(region);
  };
}

/** Only supply clients for these Regions. */
export function limitRegions(regions: readonly string[], supplier: KmsClientSupplier): KmsClientSupplier {
  return (region) => (regions.includes(region) ? supplier(region) : undefined);
}

/** Supply clients for every Region but these. */
export function excludeRegions(regions: readonly string[], supplier: KmsClientSupplier): KmsClientSupplier {
  return (region) => (regions.includes(region) ? undefined : supplier(region));
}
