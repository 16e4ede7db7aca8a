/**
 * Custom key store administration over any KMS endpoint (AWS KMS or kms-local): create a
 * CloudHSM key store, connect (and wait for CONNECTED or FAILED — ConnectCustomKeyStore is
 * asynchronous), disconnect, describe, update, delete, and create keys in a store
 * (docs/custom-key-stores.md). Every failure is a StrongroomError whose message says what to fix.
 *
 * Every call goes through provider-kms's `callKms`: a deadline per attempt (`retry.attemptTimeoutMs`,
 * default 10 s), so a hung endpoint fails typed (`details.reason` TIMEOUT) instead of hanging, and
 * retries only where a repeat is harmless (AWS KMS API Reference, per operation):
 *  - DescribeCustomKeyStores reads; Connect/Disconnect of a store already in the target state succeed;
 *    Update sets absolute values: retried.
 *  - CreateCustomKeyStore is retried with the store name as its idempotency key: when a retry is refused
 *    because the name (or the cluster) is taken, the store of that name is looked up, and if it names
 *    the same cluster and trust anchor it is the one the lost first attempt created — its id is the
 *    answer. Any other store of that name stays an error.
 *  - DeleteCustomKeyStore is retried; a retry answered "not found" means the lost first attempt deleted it.
 *  - CreateKey takes no idempotency token: one attempt only; a timeout says the outcome is unknown.
 */
import {
  ConnectCustomKeyStoreCommand,
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DeleteCustomKeyStoreCommand,
  DescribeCustomKeyStoresCommand,
  DisconnectCustomKeyStoreCommand,
  UpdateCustomKeyStoreCommand,
} from '@aws-sdk/client-kms';
import { StrongroomError } from '@strongroom/core';
import { callKms, isDeadlineError, type KmsClientLike, type RetryOptions } from '@strongroom/provider-kms';
import { awsErrorName, storeNotReadyMessage, toAdminError } from './errors';

export interface CallOptions {
  readonly abortSignal?: AbortSignal | undefined;
}

/** A custom key store as `DescribeCustomKeyStores` reports it. */
export interface CustomKeyStoreDescription {
  readonly customKeyStoreId: string;
  readonly name: string;
  readonly clusterId: string | undefined;
  readonly connectionState: 'CONNECTED' | 'CONNECTING' | 'DISCONNECTED' | 'DISCONNECTING' | 'FAILED' | string;
  readonly connectionErrorCode: string | undefined;
  readonly trustAnchorCertificate: string | undefined;
  readonly creationDate: Date | undefined;
}

/** Input of `create`: store name, cluster id, trust anchor certificate and the `kmsuser` password. */
export interface CreateCustomKeyStoreInput extends CallOptions {
  readonly name: string;
  /** The CloudHSM (hsm-local) cluster id. */
  readonly clusterId: string;
  /** The cluster's trust anchor certificate (PEM, customerCA.crt). */
  readonly trustAnchorPem: string;
  /** Password of the `kmsuser` crypto user in the cluster. */
  readonly kmsuserPassword: string;
}

/** Options of `connect`: whether and how long to wait for `CONNECTED` or `FAILED`. */
export interface ConnectOptions extends CallOptions {
  /** Wait for CONNECTED (default true). */
  readonly wait?: boolean;
  /** How long to wait, ms (default 30 000). */
  readonly timeoutMs?: number;
  /** Poll interval, ms (default 100). */
  readonly pollMs?: number;
}

/** Administration of CloudHSM key stores (from {@link createCustomKeyStoreAdmin}). */
export interface CustomKeyStoreAdmin {
  /** @returns the new (or, for an identical retry, the existing) store id. */
  createCustomKeyStore(input: CreateCustomKeyStoreInput): Promise<string>;
  /** Connect; by default waits until CONNECTED. @throws StrongroomError KEY_UNAVAILABLE with the ConnectionErrorCode and its fix when it FAILS. */
  connect(customKeyStoreId: string, options?: ConnectOptions): Promise<CustomKeyStoreDescription>;
  /** Disconnect a store (its keys become unavailable). */
  disconnect(customKeyStoreId: string, options?: CallOptions): Promise<void>;
  /** One store (by id) or all stores. */
  describe(customKeyStoreId?: string, options?: CallOptions): Promise<CustomKeyStoreDescription[]>;
  /** Change a disconnected store's name, `kmsuser` password or cluster. */
  update(customKeyStoreId: string, changes: { name?: string; kmsuserPassword?: string; clusterId?: string } & CallOptions): Promise<void>;
  /** Delete a store that holds no KMS keys. */
  delete(customKeyStoreId: string, options?: CallOptions): Promise<void>;
  /** Create a symmetric KMS key in the store (Origin AWS_CLOUDHSM). @returns the key ARN. */
  createKey(customKeyStoreId: string, options?: { description?: string } & CallOptions): Promise<string>;
}

function nonEmpty(v: unknown, name: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new StrongroomError('INVALID_ARGUMENT', `${name}: expected a non-empty string`);
  return v;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new StrongroomError('ABORTED', 'The operation was aborted', { cause: signal?.reason }));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** How many attempts the failed call made (`details.attempts` of callKms's error). */
function attemptsOf(e: unknown): number {
  const n = StrongroomError.isInstance(e) ? e.details?.attempts : undefined;
  return typeof n === 'number' ? n : 1;
}

/** Two PEM texts of one certificate (line endings and surrounding space aside). */
function samePem(a: string | undefined, b: string): boolean {
  const norm = (x: string) => x.replace(/\s+/g, '');
  return a !== undefined && norm(a) === norm(b);
}

type Store = { CustomKeyStoreId?: string; CustomKeyStoreName?: string; CloudHsmClusterId?: string; ConnectionState?: string; ConnectionErrorCode?: string; TrustAnchorCertificate?: string; CreationDate?: Date };

function fromWire(s: Store): CustomKeyStoreDescription {
  return {
    customKeyStoreId: s.CustomKeyStoreId ?? '',
    name: s.CustomKeyStoreName ?? '',
    clusterId: s.CloudHsmClusterId,
    connectionState: s.ConnectionState ?? 'DISCONNECTED',
    connectionErrorCode: s.ConnectionErrorCode,
    trustAnchorCertificate: s.TrustAnchorCertificate,
    creationDate: s.CreationDate,
  };
}

/**
 * Administer custom key stores through a KMS client.
 * @example
 * const admin = createCustomKeyStoreAdmin({ client: new KMSClient({ endpoint, region, credentials }) });
 * const id = await admin.createCustomKeyStore({ name: 'dev', clusterId, trustAnchorPem, kmsuserPassword });
 * await admin.connect(id);
 * const keyArn = await admin.createKey(id);
 * @throws StrongroomError INVALID_ARGUMENT for a missing client.
 */
export function createCustomKeyStoreAdmin(options: { client: KmsClientLike; retry?: RetryOptions | undefined }): CustomKeyStoreAdmin {
  const client = options?.client;
  if (!client || typeof client.send !== 'function') throw new StrongroomError('INVALID_ARGUMENT', 'client: expected a KMSClient');
  const retry = options.retry;
  /** One call with its deadline; `attempts` is how many were made (a retry may meet its own first attempt's effect). */
  const send = async <T>(operation: string, command: unknown, o: CallOptions | undefined, facts?: { customKeyStoreId?: string }, idempotent = true): Promise<T> =>
    callKms<T>(client, operation, facts?.customKeyStoreId ?? '', command, o?.abortSignal, retry, {
      idempotent,
      mapError: (e, attempts) => {
        const error = toAdminError(e, operation, { ...facts, attempts });
        if (!idempotent && isDeadlineError(e)) {
          return new StrongroomError(error.code, `${error.message} — ${operation} is not retried (KMS takes no idempotency token for it), and whether it took effect is unknown: list before trying again.`, { cause: e, details: error.details });
        }
        return error;
      },
    });

  /**
   * After a failed CreateCustomKeyStore that was retried: the id of the store the lost first attempt
   * created (same name, cluster and trust anchor), or undefined when the failure stands.
   */
  async function createdByLostAttempt(e: unknown, name: string, clusterId: string, trustAnchorPem: string, o: CallOptions): Promise<string | undefined> {
    const taken = awsErrorName(e);
    if (attemptsOf(e) < 2 || (taken !== 'CustomKeyStoreNameInUseException' && taken !== 'CloudHsmClusterInUseException')) return undefined;
    const found = await send<{ CustomKeyStores?: Store[] }>('DescribeCustomKeyStores', new DescribeCustomKeyStoresCommand({ CustomKeyStoreName: name }), o).catch(() => ({ CustomKeyStores: [] }));
    const same = (found.CustomKeyStores ?? []).find(
      (st) => st.CustomKeyStoreName === name && st.CloudHsmClusterId === clusterId && samePem(st.TrustAnchorCertificate, trustAnchorPem),
    );
    return same?.CustomKeyStoreId || undefined;
  }

  const admin: CustomKeyStoreAdmin = {
    async createCustomKeyStore(input) {
      const name = nonEmpty(input?.name, 'name');
      const clusterId = nonEmpty(input.clusterId, 'clusterId');
      const trustAnchorPem = nonEmpty(input.trustAnchorPem, 'trustAnchorPem');
      let out: { CustomKeyStoreId?: string };
      try {
        out = await send<{ CustomKeyStoreId?: string }>(
          'CreateCustomKeyStore',
          new CreateCustomKeyStoreCommand({
            CustomKeyStoreName: name,
            CustomKeyStoreType: 'AWS_CLOUDHSM',
            CloudHsmClusterId: clusterId,
            TrustAnchorCertificate: trustAnchorPem,
            KeyStorePassword: nonEmpty(input.kmsuserPassword, 'kmsuserPassword'),
          }),
          input,
        );
      } catch (e) {
        const ours = await createdByLostAttempt(e, name, clusterId, trustAnchorPem, input);
        if (ours === undefined) throw e;
        return ours;
      }
      return nonEmpty(out.CustomKeyStoreId, 'CreateCustomKeyStore response CustomKeyStoreId');
    },

    async connect(id, o = {}) {
      nonEmpty(id, 'customKeyStoreId');
      await send('ConnectCustomKeyStore', new ConnectCustomKeyStoreCommand({ CustomKeyStoreId: id }), o, { customKeyStoreId: id });
      const deadline = Date.now() + (o.timeoutMs ?? 30_000);
      for (;;) {
        const [store] = await admin.describe(id, o);
        if (!store) throw new StrongroomError('KEY_UNAVAILABLE', `custom key store ${id} disappeared while connecting`);
        if (o.wait === false || store.connectionState === 'CONNECTED') return store;
        if (store.connectionState === 'FAILED' || store.connectionState === 'DISCONNECTED') {
          throw new StrongroomError('KEY_UNAVAILABLE', storeNotReadyMessage({ customKeyStoreId: id, clusterId: store.clusterId, connectionState: store.connectionState, connectionErrorCode: store.connectionErrorCode }), {
            details: { customKeyStoreId: id, connectionState: store.connectionState, connectionErrorCode: store.connectionErrorCode },
          });
        }
        if (Date.now() > deadline) throw new StrongroomError('KEY_UNAVAILABLE', `custom key store ${id} is still ${store.connectionState} after ${o.timeoutMs ?? 30_000} ms`);
        await sleep(o.pollMs ?? 100, o.abortSignal);
      }
    },

    async disconnect(id, o) {
      await send('DisconnectCustomKeyStore', new DisconnectCustomKeyStoreCommand({ CustomKeyStoreId: nonEmpty(id, 'customKeyStoreId') }), o, { customKeyStoreId: id });
    },

    async describe(id, o) {
      const all: CustomKeyStoreDescription[] = [];
      let marker: string | undefined;
      do {
        const out = await send<{ CustomKeyStores?: Store[]; NextMarker?: string; Truncated?: boolean }>(
          'DescribeCustomKeyStores',
          new DescribeCustomKeyStoresCommand({ ...(id !== undefined && { CustomKeyStoreId: id }), ...(marker !== undefined && { Marker: marker }) }),
          o,
          id === undefined ? undefined : { customKeyStoreId: id },
        );
        all.push(...(out.CustomKeyStores ?? []).map(fromWire));
        marker = out.Truncated ? out.NextMarker : undefined;
      } while (marker !== undefined);
      return all;
    },

    async update(id, changes) {
      await send(
        'UpdateCustomKeyStore',
        new UpdateCustomKeyStoreCommand({
          CustomKeyStoreId: nonEmpty(id, 'customKeyStoreId'),
          ...(changes.name !== undefined && { NewCustomKeyStoreName: changes.name }),
          ...(changes.kmsuserPassword !== undefined && { KeyStorePassword: changes.kmsuserPassword }),
          ...(changes.clusterId !== undefined && { CloudHsmClusterId: changes.clusterId }),
        }),
        changes,
        { customKeyStoreId: id },
      );
    },

    async delete(id, o) {
      try {
        await send('DeleteCustomKeyStore', new DeleteCustomKeyStoreCommand({ CustomKeyStoreId: nonEmpty(id, 'customKeyStoreId') }), o, { customKeyStoreId: id });
      } catch (e) {
        // A retry that finds the store gone: the first attempt deleted it and its answer was lost.
        if (attemptsOf(e) > 1 && awsErrorName(e) === 'CustomKeyStoreNotFoundException') return;
        throw e;
      }
    },

    async createKey(id, o = {}) {
      const out = await send<{ KeyMetadata?: { Arn?: string } }>(
        'CreateKey',
        new CreateKeyCommand({ Origin: 'AWS_CLOUDHSM', CustomKeyStoreId: nonEmpty(id, 'customKeyStoreId'), KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', ...(o.description !== undefined && { Description: o.description }) }),
        o,
        { customKeyStoreId: id },
        false,
      );
      return nonEmpty(out.KeyMetadata?.Arn, 'CreateKey response KeyMetadata.Arn');
    },
  };
  return admin;
}
