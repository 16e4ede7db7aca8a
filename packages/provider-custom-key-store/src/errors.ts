/**
 * Custom key store failures as StrongroomErrors that say what to fix (AWS KMS Developer Guide,
 * "Troubleshooting a custom key store": the ConnectionErrorCode values and the custom key store
 * exceptions are the contract). The AWS error stays the `cause`, so `$metadata` and the exception
 * name remain available.
 */
import { StrongroomError, type StrongroomErrorCode } from '@strongroom/core';

/** What is known about a store when an error is explained: its id, cluster, connection state and error code. */
export interface StoreFacts {
  readonly customKeyStoreId: string;
  readonly clusterId?: string | undefined;
  readonly connectionState?: string | undefined;
  readonly connectionErrorCode?: string | undefined;
}

/** What to do about each ConnectionErrorCode (keyed by the endpoint's string: null prototype). */
const FIXES: Readonly<Record<string, string>> = Object.assign(Object.create(null), {
  INVALID_CREDENTIALS:
    'the kmsuser password the key store holds is wrong: set the current kmsuser password with UpdateCustomKeyStore (KeyStorePassword) while the store is disconnected, then disconnect and connect it',
  USER_LOCKED_OUT:
    'the kmsuser crypto user is locked in the cluster after repeated login failures: have an HSM admin unlock it (or reset its password), then disconnect and reconnect the store',
  USER_NOT_FOUND:
    'the cluster has no crypto user named kmsuser: have an HSM admin create it (role crypto-user) with the password given to the key store, then disconnect and reconnect the store',
  USER_LOGGED_IN: 'kmsuser is already logged in elsewhere: log it out of other clients, then disconnect and reconnect the store',
  NETWORK_ERRORS: 'no HSM of the cluster could be reached: start the HSM nodes (or fix their addresses), then disconnect and reconnect the store',
  CLUSTER_NOT_FOUND: 'the KMS endpoint does not know the cluster: register it (kms-local: startKmsServer({ hsmClusters })) or point the store at the right cluster',
  INSUFFICIENT_CLOUDHSM_HSMS: 'the cluster has no active HSMs: add HSMs (start nodes), then disconnect and reconnect the store',
  INTERNAL_ERROR: 'the KMS endpoint hit an internal error while connecting: disconnect and reconnect the store; if it persists, check the endpoint logs',
});

/** Explain a store that is not CONNECTED. */
export function storeNotReadyMessage(facts: StoreFacts, keyId?: string): string {
  const subject = keyId ? `KMS key ${keyId} lives in custom key store ${facts.customKeyStoreId}` : `Custom key store ${facts.customKeyStoreId}`;
  const cluster = facts.clusterId ? ` (CloudHSM cluster ${facts.clusterId})` : '';
  if (facts.connectionState === 'FAILED') {
    const code = facts.connectionErrorCode ?? 'INTERNAL_ERROR';
    return `${subject}${cluster}, which failed to connect with ${code}: ${FIXES[code] ?? FIXES.INTERNAL_ERROR}.`;
  }
  if (facts.connectionState === 'CONNECTING') return `${subject}${cluster}, which is still connecting: retry shortly.`;
  if (facts.connectionState === 'CONNECTED') {
    return `${subject}${cluster}, which is connected, but KMS could not complete the operation in the cluster: check that its HSMs are running (at least one must be reachable).`;
  }
  return `${subject}${cluster}, which is ${facts.connectionState ?? 'not connected'}: connect it (admin.connect(id) / ConnectCustomKeyStore), or create the provider with connectOnDemand: true.`;
}

/** Keyed by the exception name the endpoint sends: null prototype. */
const ADMIN_FIXES: Readonly<Record<string, [StrongroomErrorCode, string]>> = Object.assign(Object.create(null), {
  CustomKeyStoreNotFoundException: ['KEY_UNAVAILABLE', 'no such custom key store: check the id (describe() lists the stores)'],
  CustomKeyStoreNameInUseException: ['INVALID_ARGUMENT', 'another custom key store already has this name: choose another name'],
  CustomKeyStoreInvalidStateException: ['KEY_UNAVAILABLE', 'the custom key store is in the wrong connection state for this operation (connect it before creating keys; disconnect it before updating or deleting it)'],
  CustomKeyStoreHasCMKsException: ['INVALID_ARGUMENT', 'the custom key store still has KMS keys: schedule their deletion and wait until they are deleted'],
  CloudHsmClusterNotFoundException: ['INVALID_ARGUMENT', 'the KMS endpoint does not know this cluster id: check it, and on kms-local register the cluster (startKmsServer({ hsmClusters }))'],
  CloudHsmClusterInUseException: ['INVALID_ARGUMENT', 'the cluster is already used by another custom key store: one store per cluster'],
  CloudHsmClusterNotActiveException: ['KEY_UNAVAILABLE', 'the cluster has no active HSM: start its nodes'],
  CloudHsmClusterInvalidConfigurationException: ['KEY_UNAVAILABLE', 'add HSMs so that at least 2 are active in different AZs'],
  CloudHsmClusterNotRelatedException: ['INVALID_ARGUMENT', 'the new cluster does not share backup history with the store\'s cluster'],
  IncorrectTrustAnchorException: ['INVALID_ARGUMENT', 'the trust anchor is not the cluster\'s CA certificate (customerCA.crt / the cluster\'s trustAnchor): pass that certificate'],
});

/** The AWS exception name of an error (or of its cause). */
export function awsErrorName(e: unknown): string | undefined {
  for (let x: unknown = e, i = 0; x && i < 4; x = (x as { cause?: unknown }).cause, i++) {
    const name = (x as { name?: unknown }).name;
    if (typeof name === 'string' && name !== 'StrongroomError' && name !== 'Error') return name;
  }
  return undefined;
}

/** Translate an error of a custom key store administration call. */
export function toAdminError(e: unknown, operation: string, facts?: Partial<StoreFacts> & { attempts?: number }): StrongroomError {
  if (StrongroomError.isInstance(e)) return e;
  const name = awsErrorName(e);
  const fix = name ? ADMIN_FIXES[name] : undefined;
  const message = (e as { message?: string })?.message ?? String(e);
  if (!fix) {
    return new StrongroomError(name === 'AbortError' ? 'ABORTED' : 'PROVIDER_ERROR', `${operation} failed: ${name ?? 'Error'}: ${message}`, { cause: e, details: { operation, awsErrorName: name, ...facts } });
  }
  return new StrongroomError(fix[0], `${operation} failed (${name}): ${message} — ${fix[1]}.`, { cause: e, details: { operation, awsErrorName: name, ...facts } });
}
