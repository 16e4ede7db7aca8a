/**
 * Runtime side of CloudHSM-type custom key stores
 * (https://docs.aws.amazon.com/kms/latest/developerguide/keystore-cloudhsm.html): which registered hsm-local
 * cluster a store names, whether it is connected, and the cluster client (`connectHsmCluster`,
 * logged in as the `kmsuser` crypto user) that performs the store's key operations.
 *
 * Connection state is runtime only: after a restart every store is DISCONNECTED until
 * ConnectCustomKeyStore (as after a KMS-side disconnect). Connecting is asynchronous as in AWS:
 * ConnectCustomKeyStore answers at once with the store CONNECTING; it becomes CONNECTED, or FAILED
 * with a ConnectionErrorCode (a FAILED store must be disconnected before it is reconnected).
 */
import { StrongroomError } from '@strongroom/core';
import { connectHsmNode, failureReason } from '@strongroom/hsm-protocol';
import { connectHsmCluster, type HsmClusterClient } from '@strongroom/provider-hsm';

/** An hsm-local cluster kms-local may use for custom key stores ("registered" with KMS). */
export interface HsmClusterRegistration {
  /** The cluster id (`cluster-…`), as CreateCustomKeyStore's CloudHsmClusterId names it. */
  readonly clusterId: string;
  /** The cluster's HSMs: node URL (`tls://127.0.0.1:port`) and AZ label. Empty: the cluster has no HSMs. */
  readonly nodes: ReadonlyArray<{ readonly url: string; readonly az: string }>;
  /** The cluster CA (customerCA.crt). */
  readonly trustAnchorPem: string;
  /** Client certificate and key issued by the cluster CA, for the TLS connection. */
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
}

/** A custom key store's `ConnectionState`, as KMS reports it. */
export type ConnectionState = 'CONNECTED' | 'CONNECTING' | 'DISCONNECTED' | 'DISCONNECTING' | 'FAILED';
/** A custom key store's `ConnectionErrorCode` (docs/custom-key-stores.md#connectionerrorcode). */
export type ConnectionErrorCode =
  | 'CLUSTER_NOT_FOUND'
  | 'INSUFFICIENT_CLOUDHSM_HSMS'
  | 'INTERNAL_ERROR'
  | 'INVALID_CREDENTIALS'
  | 'NETWORK_ERRORS'
  | 'USER_LOCKED_OUT'
  | 'USER_LOGGED_IN'
  | 'USER_NOT_FOUND';

export interface StoreConnection {
  readonly state: ConnectionState;
  readonly errorCode: ConnectionErrorCode | undefined;
  /** Human-readable reason of the last failure (never contains the password). */
  readonly errorMessage: string | undefined;
}

export interface ClusterProbe {
  /** Nodes that answered `hello` with state ACTIVE. */
  readonly active: number;
  /** Distinct AZ labels among them. */
  readonly azs: number;
  readonly total: number;
}

export interface CustomKeyStoreConnections {
  cluster(clusterId: string): HsmClusterRegistration | undefined;
  get(storeId: string): StoreConnection;
  /** Start connecting (asynchronous); resolves when the attempt has finished, either way. */
  connect(storeId: string, clusterId: string, password: string): Promise<void>;
  disconnect(storeId: string): Promise<void>;
  /** The connected store's cluster client, or undefined. */
  client(storeId: string): HsmClusterClient | undefined;
  /** Ask every registered node of a cluster for its state (TLS + `hello`, no login). */
  probe(clusterId: string): Promise<ClusterProbe>;
  /** Active HSMs of a connected store as its cluster client sees them. */
  liveHsms(storeId: string): ClusterProbe | undefined;
  closeAll(): Promise<void>;
}

/** Map a cluster-client failure to KMS's ConnectionErrorCode. */
export function connectionErrorCode(e: unknown): ConnectionErrorCode {
  if (StrongroomError.isInstance(e)) {
    const reason = failureReason(e);
    if (e.code === 'ACCESS_DENIED') {
      if (reason === 'USER_LOCKED') return 'USER_LOCKED_OUT';
      if (reason === 'ALREADY_LOGGED_IN') return 'USER_LOGGED_IN';
      // hsm-local answers an unknown user and a wrong password identically (no user enumeration),
      // so a missing kmsuser is reported as INVALID_CREDENTIALS; see docs/custom-key-stores.md.
      return 'INVALID_CREDENTIALS';
    }
    if (e.code === 'PROVIDER_ERROR' && reason === 'CONNECTION') return 'NETWORK_ERRORS';
  }
  return 'INTERNAL_ERROR';
}

export function createCustomKeyStoreConnections(registrations: readonly HsmClusterRegistration[]): CustomKeyStoreConnections {
  const clusters = new Map(registrations.map((r) => [r.clusterId, r]));
  interface Entry {
    state: ConnectionState;
    errorCode: ConnectionErrorCode | undefined;
    errorMessage: string | undefined;
    client: HsmClusterClient | undefined;
    attempt: number;
  }
  const entries = new Map<string, Entry>();
  const entry = (id: string): Entry => {
    let e = entries.get(id);
    if (!e) entries.set(id, (e = { state: 'DISCONNECTED', errorCode: undefined, errorMessage: undefined, client: undefined, attempt: 0 }));
    return e;
  };

  async function probe(clusterId: string): Promise<ClusterProbe> {
    const reg = clusters.get(clusterId);
    if (!reg) return { active: 0, azs: 0, total: 0 };
    const answers = await Promise.all(
      reg.nodes.map(async (n) => {
        try {
          const c = await connectHsmNode({ url: n.url, trustAnchor: reg.trustAnchorPem, clientCert: { certPem: reg.clientCertPem, keyPem: reg.clientKeyPem }, connectTimeoutMs: 2000 });
          try {
            const hello = await c.call('hello', {}, { timeoutMs: 3000 });
            return hello.state === 'ACTIVE' && hello.clusterId === clusterId ? n.az : undefined;
          } finally {
            c.close();
          }
        } catch {
          return undefined;
        }
      }),
    );
    const up = answers.filter((a): a is string => a !== undefined);
    return { active: up.length, azs: new Set(up).size, total: reg.nodes.length };
  }

  return {
    cluster: (id) => clusters.get(id),
    get(id) {
      const e = entry(id);
      return { state: e.state, errorCode: e.errorCode, errorMessage: e.errorMessage };
    },
    async connect(storeId, clusterId, password) {
      const e = entry(storeId);
      const attempt = ++e.attempt;
      e.state = 'CONNECTING';
      e.errorCode = undefined;
      e.errorMessage = undefined;
      const fail = (code: ConnectionErrorCode, message: string) => {
        if (e.attempt !== attempt) return;
        e.state = 'FAILED';
        e.errorCode = code;
        e.errorMessage = message;
      };
      const reg = clusters.get(clusterId);
      if (!reg) return fail('CLUSTER_NOT_FOUND', `cluster ${clusterId} is not registered with kms-local`);
      if (reg.nodes.length === 0) return fail('INSUFFICIENT_CLOUDHSM_HSMS', `cluster ${clusterId} has no HSMs`);
      let client: HsmClusterClient;
      try {
        client = await connectHsmCluster({
          nodes: reg.nodes.map((n) => ({ url: n.url, az: n.az })),
          trustAnchor: reg.trustAnchorPem,
          clientCert: { certPem: reg.clientCertPem, keyPem: reg.clientKeyPem },
          user: 'kmsuser',
          password,
          // KMS uses a store's keys while ≥1 HSM is up; CreateKey checks ≥2 copies itself.
          disableKeyAvailabilityCheck: true,
        });
      } catch (err) {
        return fail(connectionErrorCode(err), (err as Error).message);
      }
      if (client.id !== clusterId) {
        await client.close();
        return fail('CLUSTER_NOT_FOUND', `the registered nodes of ${clusterId} belong to cluster ${client.id}`);
      }
      if (e.attempt !== attempt || e.state !== 'CONNECTING') {
        await client.close();
        return;
      }
      e.client = client;
      e.state = 'CONNECTED';
    },
    async disconnect(storeId) {
      const e = entry(storeId);
      e.attempt++;
      e.state = 'DISCONNECTING';
      const c = e.client;
      e.client = undefined;
      await c?.close();
      e.state = 'DISCONNECTED';
      e.errorCode = undefined;
      e.errorMessage = undefined;
    },
    client: (id) => (entries.get(id)?.state === 'CONNECTED' ? entries.get(id)!.client : undefined),
    probe,
    liveHsms(id) {
      const c = entries.get(id)?.state === 'CONNECTED' ? entries.get(id)!.client : undefined;
      if (!c) return undefined;
      const up = c.health().filter((h) => h.healthy);
      return { active: up.length, azs: new Set(up.map((h) => h.az ?? h.url)).size, total: c.health().length };
    },
    async closeAll() {
      const all = [...entries.values()];
      for (const e of all) e.attempt++;
      await Promise.all(all.map((e) => e.client?.close()));
      entries.clear();
    },
  };
}
