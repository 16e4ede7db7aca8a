/**
 * Custom key store operations (AWS KMS API Reference: CreateCustomKeyStore, ConnectCustomKeyStore,
 * …; AWS KMS Developer Guide, "AWS CloudHSM key stores"), CloudHSM type over registered hsm-local clusters:
 * Create/Connect/Disconnect/Describe/Update/DeleteCustomKeyStore. Every request field is validated
 * (type, length, pattern) before any lookup, as KMS does; store records persist with the rest of
 * the state (crash-safe), connection state is runtime.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import type { KmsContext } from '../context';
import type { ConnectionState } from '../custom-key-store/connections';
import {
  clusterInUse, clusterInvalidConfiguration, clusterNotActive, clusterNotFound, clusterNotRelated, customKeyStoreHasCmks,
  customKeyStoreInvalidState, customKeyStoreNameInUse, customKeyStoreNotFound, incorrectTrustAnchor, invalidMarker, unsupported, validation,
} from '../errors';
import { epochSeconds, optEnum, optInt, optString, reqString, type Input } from '../input';
import type { CustomKeyStoreRecord, KmsState } from '../model';
import type { Op } from './key-state';


const STORE_ID = /^cks-[0-9a-f]{17}$/;
const CLUSTER_ID = /^cluster-[A-Za-z0-9]{1,40}$/;
/** kmsuser password: 7–32 printable ASCII characters without spaces (CloudHSM: 7–32). */
const PASSWORD = /^[\x21-\x7e]{7,32}$/;
const XKS_FIELDS = ['XksProxyUriEndpoint', 'XksProxyUriPath', 'XksProxyVpcEndpointServiceName', 'XksProxyAuthenticationCredential', 'XksProxyConnectivity'];

export function stores(state: KmsState): Record<string, CustomKeyStoreRecord> {
  return state.customKeyStores;
}

function storeId(input: Input, name = 'CustomKeyStoreId'): string {
  const id = reqString(input, name, 64);
  if (!STORE_ID.test(id)) throw validation(`Value at '${name}' failed to satisfy constraint: Member must be a custom key store id (cks- and 17 hex digits)`);
  return id;
}

function optStoreName(input: Input, name: string): string | undefined {
  const v = optString(input, name, 256);
  if (v !== undefined && (v.length === 0 || /[\u0000-\u001f]/.test(v))) throw validation(`${name}: must be 1–256 characters without control characters`);
  return v;
}

function optClusterId(input: Input): string | undefined {
  const v = optString(input, 'CloudHsmClusterId', 64);
  if (v !== undefined && !CLUSTER_ID.test(v)) throw validation(`Value '${v}' at 'CloudHsmClusterId' failed to satisfy constraint: Member must satisfy regular expression pattern: cluster-[A-Za-z0-9]+`);
  return v;
}

function optPassword(input: Input): string | undefined {
  const v = optString(input, 'KeyStorePassword', 64);
  if (v !== undefined && !PASSWORD.test(v)) throw validation('KeyStorePassword: must be 7–32 printable ASCII characters without spaces');
  return v;
}

function optTrustAnchor(input: Input): string | undefined {
  const v = optString(input, 'TrustAnchorCertificate', 5000);
  if (v !== undefined && v.length === 0) throw validation('TrustAnchorCertificate: required');
  return v;
}

/** DER of a PEM certificate, or undefined when it is not one. */
function certificateDer(pem: string): Buffer | undefined {
  try {
    return new X509Certificate(pem).raw;
  } catch {
    return undefined;
  }
}

export function findStore(ctx: KmsContext, id: string): CustomKeyStoreRecord {
  const s = stores(ctx.state)[id];
  if (!s) throw customKeyStoreNotFound(`Custom key store ${id} does not exist.`);
  return s;
}

export function storePassword(ctx: KmsContext, s: CustomKeyStoreRecord): string {
  const raw = ctx.sealer.unseal(s.sealedPassword, `kms-local/cks-password/${s.CustomKeyStoreId}`);
  const pw = raw.toString('utf8');
  raw.fill(0);
  return pw;
}

/** The CloudHSM cluster requirements for creating a store or a key: ≥2 active HSMs in ≥2 AZs. */
export function hsmRequirementMessage(clusterId: string, active: number, azs: number): string | undefined {
  if (active >= 2 && azs >= 2) return undefined;
  const have = `${active} active HSM${active === 1 ? '' : 's'}${active > 1 ? ` in ${azs} Availability Zone${azs === 1 ? '' : 's'}` : ''}`;
  return `The CloudHSM cluster ${clusterId} has ${have}; a custom key store needs at least 2 active HSMs in different Availability Zones. Add an HSM in another AZ (or bring a stopped node back) and retry.`;
}

function describeStore(ctx: KmsContext, s: CustomKeyStoreRecord) {
  const conn = ctx.customKeyStores.get(s.CustomKeyStoreId);
  return {
    CustomKeyStoreId: s.CustomKeyStoreId,
    CustomKeyStoreName: s.CustomKeyStoreName,
    CustomKeyStoreType: 'AWS_CLOUDHSM',
    CloudHsmClusterId: s.CloudHsmClusterId,
    TrustAnchorCertificate: s.TrustAnchorCertificate,
    ConnectionState: conn.state,
    ...(conn.errorCode !== undefined && { ConnectionErrorCode: conn.errorCode }),
    CreationDate: epochSeconds(s.CreationDate),
  };
}

function requireState(ctx: KmsContext, s: CustomKeyStoreRecord, allowed: readonly ConnectionState[], what: string): void {
  const state = ctx.customKeyStores.get(s.CustomKeyStoreId).state;
  if (!allowed.includes(state)) {
    throw customKeyStoreInvalidState(`Custom key store ${s.CustomKeyStoreId} is ${state}; ${what} requires it to be ${allowed.join(' or ')}.`);
  }
}

export const customKeyStoreOps: Record<string, Op> = {
  async CreateCustomKeyStore(ctx, input) {
    const name = optStoreName(input, 'CustomKeyStoreName');
    if (name === undefined) throw validation('CustomKeyStoreName: required');
    const type = optEnum(input, 'CustomKeyStoreType', ['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] as const) ?? 'AWS_CLOUDHSM';
    if (type === 'EXTERNAL_KEY_STORE' || XKS_FIELDS.some((f) => input[f] !== undefined)) {
      throw unsupported('External key stores (XKS) are not supported by kms-local; use CustomKeyStoreType AWS_CLOUDHSM.');
    }
    const clusterId = optClusterId(input);
    const anchor = optTrustAnchor(input);
    const password = optPassword(input);
    if (clusterId === undefined) throw validation('CloudHsmClusterId: required for an AWS_CLOUDHSM key store');
    if (anchor === undefined) throw validation('TrustAnchorCertificate: required for an AWS_CLOUDHSM key store');
    if (password === undefined) throw validation('KeyStorePassword: required for an AWS_CLOUDHSM key store');

    const all = Object.values(stores(ctx.state));
    const sameName = all.find((s) => s.CustomKeyStoreName === name);
    if (sameName) {
      // Retry idempotency: the same name, cluster and trust anchor on a disconnected store answer its
      // id. The password is never compared (here or at UpdateCustomKeyStore) — the retry's password
      // replaces the stored one, as UpdateCustomKeyStore would — so no answer depends on it: only
      // ConnectCustomKeyStore tests it, by logging in to the cluster as kmsuser (counts toward lockout).
      const retry =
        sameName.CloudHsmClusterId === clusterId &&
        sameName.TrustAnchorCertificate === anchor &&
        ctx.customKeyStores.get(sameName.CustomKeyStoreId).state === 'DISCONNECTED';
      if (!retry) throw customKeyStoreNameInUse(`A custom key store named ${name} already exists.`);
      sameName.sealedPassword = ctx.sealer.seal(Buffer.from(password, 'utf8'), `kms-local/cks-password/${sameName.CustomKeyStoreId}`);
      await ctx.commit();
      return { CustomKeyStoreId: sameName.CustomKeyStoreId };
    }
    const reg = ctx.customKeyStores.cluster(clusterId);
    if (!reg) throw clusterNotFound(`CloudHSM cluster ${clusterId} is not registered with kms-local (startKmsServer({ hsmClusters }) or --hsm-clusters).`);
    if (all.some((s) => s.CloudHsmClusterId === clusterId)) throw clusterInUse(`CloudHSM cluster ${clusterId} is already associated with a custom key store.`);
    const given = certificateDer(anchor);
    const expected = certificateDer(reg.trustAnchorPem);
    if (!given || !expected || !given.equals(expected)) {
      throw incorrectTrustAnchor(`The trust anchor certificate does not match the trust anchor (customerCA.crt) of cluster ${clusterId}.`);
    }
    const probe = await ctx.customKeyStores.probe(clusterId);
    if (probe.active === 0) throw clusterNotActive(`CloudHSM cluster ${clusterId} has no active HSM (0 of ${probe.total} reachable).`);
    const problem = hsmRequirementMessage(clusterId, probe.active, probe.azs);
    if (problem) throw clusterInvalidConfiguration(problem);

    const id = `cks-${randomBytes(9).toString('hex').slice(0, 17)}`;
    stores(ctx.state)[id] = {
      CustomKeyStoreId: id,
      CustomKeyStoreName: name,
      CloudHsmClusterId: clusterId,
      TrustAnchorCertificate: anchor,
      sealedPassword: ctx.sealer.seal(Buffer.from(password, 'utf8'), `kms-local/cks-password/${id}`),
      CreationDate: ctx.now(),
    };
    await ctx.commit();
    return { CustomKeyStoreId: id };
  },

  ConnectCustomKeyStore(ctx, input) {
    const s = findStore(ctx, storeId(input));
    const state = ctx.customKeyStores.get(s.CustomKeyStoreId).state;
    if (state === 'CONNECTED' || state === 'CONNECTING') return {};
    requireState(ctx, s, ['DISCONNECTED'], 'ConnectCustomKeyStore');
    // Asynchronous, as in AWS: answer now, the state moves to CONNECTED or FAILED.
    void ctx.customKeyStores.connect(s.CustomKeyStoreId, s.CloudHsmClusterId, storePassword(ctx, s));
    return {};
  },

  async DisconnectCustomKeyStore(ctx, input) {
    const s = findStore(ctx, storeId(input));
    requireState(ctx, s, ['CONNECTED', 'CONNECTING', 'FAILED', 'DISCONNECTED'], 'DisconnectCustomKeyStore');
    await ctx.customKeyStores.disconnect(s.CustomKeyStoreId);
    return {};
  },

  DescribeCustomKeyStores(ctx, input) {
    const id = input['CustomKeyStoreId'] === undefined || input['CustomKeyStoreId'] === null ? undefined : storeId(input);
    const name = optStoreName(input, 'CustomKeyStoreName');
    if (id !== undefined && name !== undefined) throw validation('Specify CustomKeyStoreId or CustomKeyStoreName, not both.');
    const limit = optInt(input, 'Limit', 1, 1000) ?? 100;
    const marker = optString(input, 'Marker', 64);
    const start = marker === undefined ? 0 : Number(marker);
    if (!Number.isInteger(start) || start < 0) throw invalidMarker('Invalid marker');
    let all = Object.values(stores(ctx.state)).sort((a, b) => a.CreationDate - b.CreationDate || (a.CustomKeyStoreId < b.CustomKeyStoreId ? -1 : 1));
    if (id !== undefined) all = [findStore(ctx, id)];
    if (name !== undefined) {
      all = all.filter((s) => s.CustomKeyStoreName === name);
      if (all.length === 0) throw customKeyStoreNotFound(`No custom key store is named ${name}.`);
    }
    const page = all.slice(start, start + limit);
    const truncated = start + limit < all.length;
    return { CustomKeyStores: page.map((s) => describeStore(ctx, s)), Truncated: truncated, ...(truncated && { NextMarker: String(start + limit) }) };
  },

  async UpdateCustomKeyStore(ctx, input) {
    const id = storeId(input);
    const newName = optStoreName(input, 'NewCustomKeyStoreName');
    const password = optPassword(input);
    const clusterId = optClusterId(input);
    if (XKS_FIELDS.some((f) => input[f] !== undefined)) throw unsupported('External key store properties do not apply to an AWS_CLOUDHSM key store.');
    const s = findStore(ctx, id);
    if (newName === undefined && password === undefined && clusterId === undefined) return {};
    requireState(ctx, s, ['DISCONNECTED'], 'UpdateCustomKeyStore');
    if (newName !== undefined && newName !== s.CustomKeyStoreName && Object.values(stores(ctx.state)).some((o) => o.CustomKeyStoreName === newName)) {
      throw customKeyStoreNameInUse(`A custom key store named ${newName} already exists.`);
    }
    if (clusterId !== undefined && clusterId !== s.CloudHsmClusterId) {
      // Only a cluster that shares backup history may replace the store's cluster. An hsm-local
      // cluster restored from backups keeps its cluster id, so a different id is never related.
      if (!ctx.customKeyStores.cluster(clusterId)) throw clusterNotFound(`CloudHSM cluster ${clusterId} is not registered with kms-local.`);
      throw clusterNotRelated(`CloudHSM cluster ${clusterId} does not share backup history with ${s.CloudHsmClusterId}.`);
    }
    if (newName !== undefined) s.CustomKeyStoreName = newName;
    if (password !== undefined) s.sealedPassword = ctx.sealer.seal(Buffer.from(password, 'utf8'), `kms-local/cks-password/${id}`);
    await ctx.commit();
    return {};
  },

  async DeleteCustomKeyStore(ctx, input) {
    const s = findStore(ctx, storeId(input));
    requireState(ctx, s, ['DISCONNECTED'], 'DeleteCustomKeyStore');
    if (Object.values(ctx.state.keys).some((k) => k.CustomKeyStoreId === s.CustomKeyStoreId)) {
      throw customKeyStoreHasCmks(`Custom key store ${s.CustomKeyStoreId} still has KMS keys; schedule their deletion and wait for it to complete first.`);
    }
    delete stores(ctx.state)[s.CustomKeyStoreId];
    await ctx.commit();
    return {};
  },
};
