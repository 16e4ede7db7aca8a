/**
 * CustomKeyStoreKeyProvider: the KMS provider (`aws-kms` EDKs, interoperable with
 * the AWS Encryption SDK's KMS keyring) for keys that live in a CloudHSM custom key store, plus
 * store awareness (AWS KMS Developer Guide, "Troubleshooting a custom key store"):
 *  - when a call fails the way a store problem fails (KMSInvalidStateException,
 *    CustomKeyStoreInvalidStateException, CloudHsmCluster*), it looks the key's store up
 *    (DescribeKey → DescribeCustomKeyStores) and reports the ConnectionState/ConnectionErrorCode
 *    with what to fix;
 *  - with `connectOnDemand`, a DISCONNECTED (or FAILED) store is connected and the call retried once;
 *  - `checkStores()` runs the same check up front (for health endpoints and start-up).
 * Healthy calls cost exactly what KmsKeyProvider's cost: no extra KMS requests. Every request, the
 * diagnosis's included, has the per-attempt deadline of `retry.attemptTimeoutMs` (provider-kms `callKms`).
 */
import { StrongroomError, type DataKeyRequest, type EncryptedDataKey, type GeneratedDataKey, type KeyProvider } from '@strongroom/core';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { callKms, isDeadlineError, KmsKeyProvider, parseKmsArn, type KmsClientLike, type KmsKeyProviderOptions } from '@strongroom/provider-kms';
import { createCustomKeyStoreAdmin, type CustomKeyStoreAdmin, type CustomKeyStoreDescription } from './admin';
import { awsErrorName, storeNotReadyMessage } from './errors';

/**
 * Options of {@link CustomKeyStoreKeyProvider}: those of `KmsKeyProvider`, plus the KMS client and whether to connect the store on demand.
 */
export interface CustomKeyStoreKeyProviderOptions extends Omit<KmsKeyProviderOptions, 'discovery' | 'clientProvider'> {
  /** The KMS client (one Region: custom key stores are Regional). */
  readonly client: KmsClientLike;
  /** Connect a DISCONNECTED or FAILED store when a call needs it, then retry once. Default false. */
  readonly connectOnDemand?: boolean;
  /** How long an on-demand connect may take, ms (default 30 000). */
  readonly connectTimeoutMs?: number;
}

/** A KMS key provider for keys in a custom key store, which explains a disconnected store. */
export interface CustomKeyStoreKeyProvider extends KeyProvider {
  /**
   * Check every configured key's store; with `connectOnDemand`, connect those that are not.
   * @returns one entry per store used by the configured keys.
   * @throws StrongroomError KEY_UNAVAILABLE naming the store, its state and the fix.
   */
  checkStores(options?: { abortSignal?: AbortSignal }): Promise<CustomKeyStoreDescription[]>;
}

/** Failures that may mean "the key's custom key store is not usable right now". */
const STORE_FAILURES = new Set([
  'KMSInvalidStateException',
  'CustomKeyStoreInvalidStateException',
  'CloudHsmClusterInvalidConfigurationException',
  'CloudHsmClusterNotActiveException',
  'CustomKeyStoreNotFoundException',
]);

/**
 * Create a provider for KMS keys in custom key stores.
 * @example
 * const provider = CustomKeyStoreKeyProvider({ client: kms, generatorKeyId: keyArn, connectOnDemand: true });
 * const { ciphertext } = await createClient({ keyProvider: provider }).encrypt(data, { encryptionContext });
 * @throws StrongroomError INVALID_ARGUMENT for a missing client or key.
 */
export function CustomKeyStoreKeyProvider(options: CustomKeyStoreKeyProviderOptions): CustomKeyStoreKeyProvider {
  if (!options?.client || typeof options.client.send !== 'function') throw new StrongroomError('INVALID_ARGUMENT', 'client: expected a KMSClient');
  const { client, connectOnDemand = false, connectTimeoutMs = 30_000, ...kms } = options;
  const inner = KmsKeyProvider({ ...kms, clientProvider: () => client });
  const admin: CustomKeyStoreAdmin = createCustomKeyStoreAdmin({ client, retry: kms.retry });
  const configured = [...(kms.generatorKeyId === undefined ? [] : [kms.generatorKeyId]), ...(kms.keyIds ?? [])];
  const connecting = new Map<string, Promise<CustomKeyStoreDescription>>();

  /**
   * The store a key lives in, or undefined for keys outside custom key stores and for a DescribeKey
   * KMS refuses (no kms:DescribeKey permission: the original failure then stands). A KMS that does
   * not answer is not a refusal: that fails typed, at the deadline.
   */
  async function storeOf(keyId: string, abortSignal?: AbortSignal): Promise<string | undefined> {
    try {
      const out = await callKms<{ KeyMetadata?: { CustomKeyStoreId?: string } }>(client, 'DescribeKey', keyId, new DescribeKeyCommand({ KeyId: keyId }), abortSignal, kms.retry);
      return out.KeyMetadata?.CustomKeyStoreId;
    } catch (e) {
      if (StrongroomError.isInstance(e, 'ABORTED') || isDeadlineError((e as { cause?: unknown }).cause)) throw e;
      return undefined;
    }
  }

  /** Make the store usable (connecting on demand) or throw an actionable error. */
  async function ready(storeId: string, keyId: string | undefined, cause: unknown, abortSignal?: AbortSignal): Promise<CustomKeyStoreDescription> {
    const [store] = await admin.describe(storeId, { abortSignal });
    if (!store) throw new StrongroomError('KEY_UNAVAILABLE', `custom key store ${storeId} does not exist`, { cause });
    if (store.connectionState === 'CONNECTED' && cause === undefined) return store;
    const canConnect = connectOnDemand && (store.connectionState === 'DISCONNECTED' || store.connectionState === 'FAILED' || store.connectionState === 'CONNECTING');
    if (canConnect) {
      let p = connecting.get(storeId);
      if (!p) {
        p = (async () => {
          // A FAILED store must be disconnected before it can be reconnected (AWS KMS Developer Guide, "Connecting and disconnecting a CloudHSM key store").
          if (store.connectionState === 'FAILED') await admin.disconnect(storeId, { abortSignal });
          return admin.connect(storeId, { timeoutMs: connectTimeoutMs, abortSignal });
        })().finally(() => connecting.delete(storeId));
        connecting.set(storeId, p);
      }
      return p;
    }
    throw new StrongroomError('KEY_UNAVAILABLE', storeNotReadyMessage({ customKeyStoreId: storeId, clusterId: store.clusterId, connectionState: store.connectionState, connectionErrorCode: store.connectionErrorCode }, keyId), {
      cause,
      details: { customKeyStoreId: storeId, connectionState: store.connectionState, connectionErrorCode: store.connectionErrorCode, keyId },
    });
  }

  /** Run `fn`; on a store-shaped failure diagnose the key's store, connect on demand and retry once. */
  async function withStore<T>(keyIds: readonly string[], abortSignal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const name = awsErrorName(e);
      if (name === undefined || !STORE_FAILURES.has(name)) throw e;
      let reconnected = false;
      for (const keyId of keyIds) {
        const storeId = await storeOf(keyId, abortSignal);
        if (storeId === undefined) continue;
        const [before] = await admin.describe(storeId, { abortSignal });
        if (before?.connectionState === 'CONNECTED') {
          // Connected, yet KMS could not use the cluster: the HSMs are the problem.
          throw new StrongroomError('KEY_UNAVAILABLE', storeNotReadyMessage({ customKeyStoreId: storeId, clusterId: before.clusterId, connectionState: 'CONNECTED' }, keyId) + ` (${(e as Error).message})`, {
            cause: e,
            details: { customKeyStoreId: storeId, connectionState: 'CONNECTED', keyId },
          });
        }
        await ready(storeId, keyId, e, abortSignal);
        reconnected = true;
      }
      if (!reconnected) throw e;
      return fn();
    }
  }

  const edkKey = (edk: EncryptedDataKey): string[] => {
    try {
      const arn = new TextDecoder('utf-8', { fatal: true }).decode(edk.providerInfo);
      return parseKmsArn(arn) ? [arn] : [];
    } catch {
      return [];
    }
  };

  return {
    providerId: inner.providerId,
    // The key ARNs KMS resolved, with this client's endpoint and principal (KmsKeyProvider's identity).
    async cacheIdentity(purpose) {
      const id = await inner.cacheIdentity?.(purpose);
      return id === undefined ? undefined : JSON.stringify(['custom-key-store', id]);
    },
    generateDataKey(request: DataKeyRequest): Promise<GeneratedDataKey> {
      return withStore(configured, request.abortSignal, () => inner.generateDataKey(request));
    },
    encryptDataKey(request) {
      return withStore(configured, request.abortSignal, () => inner.encryptDataKey(request));
    },
    decryptDataKey(request) {
      return withStore(edkKey(request.encryptedDataKey), request.abortSignal, () => inner.decryptDataKey(request));
    },
    async checkStores(o = {}) {
      const ids = new Set<string>();
      for (const k of configured) {
        const s = await storeOf(k, o.abortSignal);
        if (s !== undefined) ids.add(s);
      }
      const out: CustomKeyStoreDescription[] = [];
      for (const id of ids) out.push(await ready(id, undefined, undefined, o.abortSignal));
      return out;
    },
  };
}
