/**
 * `connectHsmCluster`: one logical HSM over every node of an hsm-local cluster, implementing the
 * `HsmBackend` seam, with CloudHSM's client behaviour
 * (https://docs.aws.amazon.com/cloudhsm/latest/userguide/bp-application-integration.html and
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-key-sync.html).
 * Every node call goes through the typed operation table of @strongroom/hsm-protocol.
 *
 * - Load balancing (./router): each operation goes to the healthy node with the fewest requests in flight
 *   ("based on each HSM's capacity for additional processing"), preferring nodes in the client's AZ.
 * - Failover: a connection failure, a tampered or throttled node, or a key not yet replicated to the
 *   chosen node makes the client retry on another node, so the caller sees no error while any node
 *   that holds the key is up. Down nodes are reconnected in the background and rejoin the rotation.
 * - Client-side key replication (SDK 5, ./availability): after creating a token key the client asks the node that
 *   created it to push it to its peers (`key.replicate`) before using it. A token key is usable only once it exists on at least
 *   `keyAvailability` nodes (default 2), CloudHSM's key availability check.
 */
import { randomUUID } from 'node:crypto';
import { StrongroomError, throwIfAborted } from '@strongroom/core';
import { failureReason, type HsmArgs, type KeyGenerateResult, type KeyTemplate, type NodeKey } from '@strongroom/hsm-protocol';
import type { HsmBackend, HsmCallOptions, HsmCapabilities, HsmHash, HsmKeyRef, HsmKeyTemplate, HsmSignMechanism } from '../backend';
import { createKeyAvailability, toRef } from './availability';
import { createNodeLink, type NodeLink } from './node-link';
import { createRouter } from './router';

/**
 * Options of {@link connectHsmCluster}: node URLs, trust anchor and client certificate, crypto user and password, the client's AZ, key availability, failover and liveness timings.
 */
export interface HsmClusterOptions {
  nodes: ReadonlyArray<{ url: string; az?: string | undefined }>;
  /** The cluster CA certificate (PEM). */
  trustAnchor: string;
  /** Client certificate and key (PEM) issued by the cluster CA. */
  clientCert: { certPem: string; keyPem: string };
  /** A crypto user (`crypto-user` role). */
  user: string;
  password: string;
  /** The client's AZ: nodes with the same label are preferred. */
  az?: string | undefined;
  /**
   * Minimum number of nodes a new token key must be on before it is used (default 2, as CloudHSM
   * SDK 5). Set 1 — or `disableKeyAvailabilityCheck: true` — for single-node clusters.
   */
  keyAvailability?: number;
  disableKeyAvailabilityCheck?: boolean;
  /** How long an operation waits for some node to come back when none is healthy (default 5 s). */
  failoverTimeoutMs?: number;
  /** Background reconnect interval for down nodes (default 250 ms). */
  reconnectIntervalMs?: number;
  /**
   * A node that has left requests unanswered this long is probed, and declared down (its requests
   * retried elsewhere) when the probe gets no answer within twice as long — how a cut network link
   * is noticed (default 1000 ms).
   */
  livenessMs?: number;
  /** Deadline of each node call, ms (default 60 000; hsm-protocol `callTimeoutMs`): the bound even when the liveness probe cannot help. */
  callTimeoutMs?: number;
  abortSignal?: AbortSignal | undefined;
}

/** One node as the cluster client sees it: URL, AZ, node id, health, last error, and its sync status. */
export interface HsmClusterNodeStatus {
  url: string;
  az: string | undefined;
  nodeId: string | undefined;
  healthy: boolean;
  lastError: string | undefined;
  /** From the node, when reachable. */
  state?: string;
  keys?: number;
  digest?: string;
  /** True when this node's object digest equals the most common digest among reachable nodes. */
  inSync?: boolean;
  peers?: unknown;
}

/** The hsm-local cluster client: an {@link HsmBackend} that balances load across nodes and fails over. */
export interface HsmClusterClient extends HsmBackend {
  readonly kind: 'cluster';
  /** Snapshot of link health (no network). */
  health(): Array<{ url: string; az: string | undefined; healthy: boolean; inFlight: number; lastError: string | undefined }>;
  /** Health plus per-node sync status (object digest, key count, peers) from each reachable node. */
  syncStatus(options?: HsmCallOptions): Promise<HsmClusterNodeStatus[]>;
  /** Number of healthy nodes holding the key. */
  keyReplicaCount(key: HsmKeyRef, options?: HsmCallOptions): Promise<number>;
}

function protocolError(message: string): StrongroomError {
  return new StrongroomError('PROVIDER_ERROR', `hsm node answered outside the protocol: ${message}`);
}

/** key.generate answers `{ key }` for secret keys and `{ privateKey, publicKey }` for pairs. */
function oneKey(r: KeyGenerateResult): NodeKey {
  if ('key' in r) return r.key;
  throw protocolError('expected one key, got a key pair');
}
function keyPair(r: KeyGenerateResult): { privateKey: NodeKey; publicKey: NodeKey } {
  if ('privateKey' in r) return r;
  throw protocolError('expected a key pair, got one key');
}

/**
 * Connect to an hsm-local cluster and log in on every reachable node. It succeeds when at least one
 * node accepts the login; the others are retried in the background and join when they accept it.
 *
 * @example
 * const hsm = await connectHsmCluster({ nodes, trustAnchor, clientCert, user: 'app', password, az: 'us-east-1a' });
 * const kek = await hsm.generateAesKey({ label: 'app-kek', bits: 256 });
 * const { iv, ciphertext, tag } = await hsm.aesGcmEncrypt(kek, dataKey, aad);
 * @throws StrongroomError ACCESS_DENIED when no node accepts the credentials (bad password, locked user); PROVIDER_ERROR when no node is reachable.
 */
export async function connectHsmCluster(options: HsmClusterOptions): Promise<HsmClusterClient> {
  if (!options || !Array.isArray(options.nodes) || options.nodes.length === 0) throw new StrongroomError('INVALID_ARGUMENT', 'nodes: at least one node is required');
  for (const k of ['trustAnchor', 'user', 'password'] as const) {
    if (typeof options[k] !== 'string' || options[k].length === 0) throw new StrongroomError('INVALID_ARGUMENT', `${k}: expected a non-empty string`);
  }
  throwIfAborted(options.abortSignal);
  const need = options.disableKeyAvailabilityCheck ? 1 : Math.max(1, options.keyAvailability ?? 2);
  const failoverTimeoutMs = options.failoverTimeoutMs ?? 5000;
  const links: NodeLink[] = options.nodes.map((n) =>
    createNodeLink({
      url: n.url, az: n.az, trustAnchor: options.trustAnchor, clientCert: options.clientCert, user: options.user, password: options.password,
      reconnectIntervalMs: options.reconnectIntervalMs ?? 250,
      ...(options.livenessMs ? { livenessMs: options.livenessMs } : {}),
      ...(options.callTimeoutMs !== undefined ? { callTimeoutMs: options.callTimeoutMs } : {}),
    }),
  );
  const results = await Promise.allSettled(links.map((l) => l.open()));
  // One node accepting the login is enough: a user created a moment ago may not have reached every
  // node yet. Nodes that refused it are retried in the background (node-link.ts backs off).
  const denied = results.find((r) => r.status === 'rejected' && StrongroomError.isInstance(r.reason, 'ACCESS_DENIED') && failureReason(r.reason) !== 'TAMPERED');
  if (denied && !links.some((l) => l.healthy)) {
    links.forEach((l) => l.close());
    throw (denied as PromiseRejectedResult).reason;
  }
  if (!links.some((l) => l.healthy)) {
    links.forEach((l) => l.close());
    throw new StrongroomError('PROVIDER_ERROR', `no hsm node reachable (${links.map((l) => `${l.url}: ${l.lastError}`).join('; ')})`, { details: { reason: 'CONNECTION' } });
  }
  links.forEach((l) => {
    if (!l.healthy) l.startRejoin();
  });
  const clusterId = links.find((l) => l.clusterId)!.clusterId!;
  if (links.some((l) => l.clusterId && l.clusterId !== clusterId)) {
    links.forEach((l) => l.close());
    throw new StrongroomError('INVALID_ARGUMENT', 'nodes belong to different clusters');
  }

  const { run } = createRouter(links, { az: options.az, failoverTimeoutMs });
  const keys = createKeyAvailability(links, need);
  const { route, useKey, created } = keys;

  /**
   * Run a key creation with a fresh request id: the failover retry in `run` resends the same id, so a
   * node that already holds the key created by a lost answer returns it rather than making a second.
   */
  function generate(args: HsmArgs<'key.generate'>, o: HsmCallOptions | undefined) {
    return run('key.generate', { ...args, requestId: randomUUID() }, o);
  }

  function templateArgs(t: HsmKeyTemplate): KeyTemplate {
    return {
      label: t.label, token: t.token ?? true, extractable: t.extractable ?? false,
      encrypt: t.encrypt, decrypt: t.decrypt, wrap: t.wrap, unwrap: t.unwrap, sign: t.sign, verify: t.verify,
    };
  }

  const capabilities: HsmCapabilities = {
    gcmIv: 'hsm',
    oaepHashes: ['sha1', 'sha256', 'sha384', 'sha512'],
    ecdsaHashesInside: true,
    keyAvailabilityCheck: need > 1,
  };

  const client: HsmClusterClient = {
    kind: 'cluster',
    id: clusterId,
    capabilities,

    principal: options.user,
    async findKey(query, o) {
      // Own keys only, unless the caller names another owner: then that owner's keys shared with it.
      const owner = query.owner ?? options.user;
      const { value } = await run('key.find', { label: query.label, class: query.class, includeShared: owner !== options.user }, o);
      // Nodes answer oldest first, so every node resolves a duplicated label to the same key.
      const k = value.find((x) => x.owner === owner);
      return k ? toRef(k) : undefined;
    },
    async keyByHandle(handle, o) {
      try {
        const k = (await run('key.getAttributes', { handle }, o)).value;
        return k.attrs.token ? toRef(k) : undefined;
      } catch (e) {
        if (StrongroomError.isInstance(e, 'KEY_UNAVAILABLE')) return undefined;
        throw e;
      }
    },
    async generateAesKey(t, o) {
      const { value, link } = await generate({ type: 'aes', bits: t.bits, template: templateArgs(t) }, o);
      return (await created([oneKey(value)], link, o))[0]!;
    },
    async generateGenericSecret(t, o) {
      const { value, link } = await generate({ type: 'generic-secret', bits: t.bits, template: templateArgs(t) }, o);
      return (await created([oneKey(value)], link, o))[0]!;
    },
    async generateKeyPair(t, o) {
      const template = templateArgs(t);
      const args: HsmArgs<'key.generate'> = t.type === 'rsa' ? { type: 'rsa', bits: t.bits, template } : { type: 'ec', curve: t.curve, template };
      const { value, link } = await generate(args, o);
      const pair = keyPair(value);
      const [privateKey, publicKey] = await created([pair.privateKey, pair.publicKey], link, o);
      return { privateKey: privateKey!, publicKey: publicKey! };
    },
    async deleteKey(ref, o) {
      const r = route(ref);
      const { link } = await run('key.delete', { handle: r.handle }, o, r.link);
      await keys.deleted(r.handle, link, r.link !== undefined, o);
    },
    async aesGcmEncrypt(key, plaintext, aad, o) {
      const r = await useKey(key, o, (handle, only) => run('aes.gcmEncrypt', { handle, plaintext, aad }, o, only));
      return { iv: r.iv, ciphertext: r.ciphertext, tag: r.tag };
    },
    async generateDataKey(key, length, aad, o) {
      try {
        return await useKey(key, o, (handle, only) => run('aes.gcmGenerateDataKey', { handle, length, aad }, o, only));
      } catch (e) {
        // A node of an older release (a rolling upgrade) does not know the call: make the two it knows.
        if (!StrongroomError.isInstance(e, 'UNSUPPORTED') || failureReason(e) !== undefined) throw e;
        const plaintext = await client.generateRandom(length, o);
        try {
          return { plaintext, ...(await client.aesGcmEncrypt(key, plaintext, aad, o)) };
        } catch (error) {
          plaintext.fill(0);
          throw error;
        }
      }
    },
    async aesGcmDecrypt(key, input, o) {
      return (await useKey(key, o, (handle, only) => run('aes.gcmDecrypt', { handle, iv: input.iv, ciphertext: input.ciphertext, tag: input.tag, aad: input.aad }, o, only))).plaintext;
    },
    async sign(key, mechanism: HsmSignMechanism, data, o) {
      return (await useKey(key, o, (handle, only) => run('sign', { handle, mechanism: mechanism.type, hash: mechanism.hash, data }, o, only))).signature;
    },
    async verify(key, mechanism, data, signature, o) {
      try {
        return (await useKey(key, o, (handle, only) => run('verify', { handle, mechanism: mechanism.type, hash: mechanism.hash, data, signature }, o, only))).valid;
      } catch (e) {
        if (StrongroomError.isInstance(e, 'AUTHENTICATION_FAILED')) return false;
        throw e;
      }
    },
    async hmac(key, hash: Exclude<HsmHash, 'sha1'>, data, o) {
      return (await useKey(key, o, (handle, only) => run('hmac', { handle, hash, data }, o, only))).mac;
    },
    async generateRandom(length, o) {
      if (!Number.isInteger(length) || length < 1 || length > 1 << 20) throw new StrongroomError('INVALID_ARGUMENT', 'length: expected an integer in [1, 1 MiB]');
      const parts: Uint8Array[] = [];
      for (let left = length; left > 0; left -= 65536) {
        parts.push((await run('random', { length: Math.min(left, 65536) }, o)).value.bytes);
      }
      return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    },
    async exportPublicKey(key, o) {
      const r = route(key);
      let handle = r.handle;
      if (key.class === 'private') {
        const attrs = (await run('key.getAttributes', { handle }, o, r.link)).value;
        if (!attrs.pairHandle) throw new StrongroomError('KEY_UNAVAILABLE', `key ${key.handle} has no public half`);
        handle = attrs.pairHandle;
      }
      return (await run('key.export', { handle }, o, r.link)).value.material;
    },
    health() {
      return links.map((l) => ({ url: l.url, az: l.az, healthy: l.healthy, inFlight: l.inFlight(), lastError: l.lastError }));
    },
    async syncStatus(o) {
      const out: HsmClusterNodeStatus[] = await Promise.all(
        links.map(async (l) => {
          const base: HsmClusterNodeStatus = { url: l.url, az: l.az, nodeId: l.nodeId, healthy: l.healthy, lastError: l.lastError };
          if (!l.healthy) return base;
          try {
            const s = await l.call('status', {}, o?.abortSignal);
            return { ...base, state: s.state, keys: s.keys, digest: s.digest, peers: s.peers };
          } catch {
            return base;
          }
        }),
      );
      const freq = new Map<string, number>();
      for (const s of out) if (s.digest) freq.set(s.digest, (freq.get(s.digest) ?? 0) + 1);
      const top = [...freq.entries()].sort((x, y) => y[1] - x[1])[0]?.[0];
      for (const s of out) if (s.digest) s.inSync = s.digest === top;
      return out;
    },
    keyReplicaCount: (key, o) => keys.replicaCount(route(key).handle, o),
    async close() {
      links.forEach((l) => l.close());
    },
  };
  return client;
}
