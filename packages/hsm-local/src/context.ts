/**
 * The state every operation of a node works on, and the checks the operations share: the
 * replicated objects (users, keys, quorum settings), sessions, the connection's session keys, key
 * lookup with the CloudHSM ownership rules (an owner manages and uses a key, a user it is shared
 * with only uses it: https://docs.aws.amazon.com/cloudhsm/latest/userguide/user-permissions-table-chsm-cli.html), quorum
 * checks (https://docs.aws.amazon.com/cloudhsm/latest/userguide/quorum-auth-chsm-cli-service-names.html) and the
 * persist path.
 *
 * A handler receives an `OpContext`; one whose operation needs a login receives a `LoggedIn`
 * context, whose type guarantees a session.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { quorumServiceOf, type QuorumOp, type SyncPeerStatus } from '@strongroom/hsm-protocol';
import * as a from './args';
import type { Args } from './args';
import { idChunks, type AuditLog } from './audit';
import { denied, unavailable } from './errors';
import { maskObject, type MaskedObject } from './masked';
import { mayUse, ownedBy, ownerIdOf, userIdOf } from './ownership';
import { countApprovals, openQuorumToken, quorumArgsDigest } from './quorum';
import { DEFAULT_LIMITS, type ClusterLimits, type KeyAttributes, type KeyObjectRecord, type NodeIdentity, type NodeStateData, type QuorumObject, type ReplicatedObject, type Role, type StateStore, type UserObject } from './state';

export interface Session {
  id: string;
  user: string;
  /** The user's immutable id (ownership.ts). */
  uid: string;
  role: Role;
  mustChangePassword: boolean;
  loginAt: number;
  lastUse: number;
}

/** One authenticated TLS connection. `peer` is the certificate CN: `node:<id>` or `client:<…>`. */
export interface ConnContext {
  id: string;
  peer: string;
  session?: Session | undefined;
  /** Session (non-token) keys created on this connection; destroyed when it closes. */
  sessionKeys: Set<string>;
}

export interface NodeContextOptions {
  identity: NodeIdentity;
  store: StateStore;
  audit: AuditLog;
  now?: (() => number) | undefined;
  peerStatus?: (() => SyncPeerStatus[]) | undefined;
  createBackup?: (() => Promise<{ path: string; createdAt: number }>) | undefined;
  /** Send masked objects to every peer now (node-to-node `sync.import`); resolves with how many peers took all of them. */
  pushToPeers?: ((objs: MaskedObject[]) => Promise<number>) | undefined;
}

/** The node's shared state and helpers (one per node process). */
export interface NodeContext {
  readonly identity: NodeIdentity;
  readonly store: StateStore;
  readonly audit: AuditLog;
  readonly data: NodeStateData;
  readonly limits: ClusterLimits;
  readonly sessions: Map<string, Session>;
  /** Session (non-token) keys of every connection, by handle. */
  readonly sessionKeyStore: Map<string, KeyObjectRecord>;
  /** Consecutive failed logins per user name. */
  readonly failures: Map<string, number>;
  /** Per user name: the tail of the queue of login attempts (attempts for one user never overlap). */
  readonly loginQueue: Map<string, Promise<void>>;
  readonly keyObjectCache: Map<string, KeyObject>;
  /** Ids (`t:<nonce>`) of accepted quorum tokens → expiry; an index over the replicated used-token objects. */
  readonly usedTokens: Map<string, number>;
  readonly tampered: boolean;
  readonly peerStatus: () => SyncPeerStatus[];
  readonly createBackup: (() => Promise<{ path: string; createdAt: number }>) | undefined;
  now(): number;
  objects(): Record<string, ReplicatedObject>;
  /** A live (not deleted) user. */
  user(name: string): UserObject | undefined;
  /** A live user by immutable id. */
  userById(uid: string): UserObject | undefined;
  /** The live token key an owner created with a client-chosen request id (replicated with the key). */
  keyByRequest(ownerId: string, requestId: string): KeyObjectRecord | undefined;
  quorumSettings(): QuorumObject;
  /** A version for a changed object: greater than the previous one and than any other node's clock-based version. */
  nextVersion(prev: number | undefined): number;
  put(obj: ReplicatedObject): void;
  /** Resolves once the sealed state is durable (group commit). */
  persist(): Promise<void>;
  /** A live key by handle (token or session key). @throws KEY_UNAVAILABLE */
  getKey(handle: string): KeyObjectRecord;
  /** The sorted (id, version) list and its SHA-256: equal on two nodes means in sync. */
  digest(): { list: Array<[string, number]>; hash: string };
  masked(ids: string[]): MaskedObject[];
  /** Push objects to the peers now; resolves with how many peers took them (0 without peers). */
  pushToPeers(ids: string[]): Promise<number>;
  /** Merge objects received from a peer; returns how many changed. */
  mergeObjects(objs: ReplicatedObject[]): Promise<number>;
  dropSession(conn: ConnContext): void;
  /** Zeroize and refuse service from now on. */
  tamper(reason: string): void;
}

/** What every handler receives. */
export interface OpContext {
  readonly node: NodeContext;
  readonly conn: ConnContext;
}

/** What a handler of an operation that needs a login receives. */
export interface LoggedIn extends OpContext {
  readonly session: Session;
}

export function createNodeContext(opts: NodeContextOptions): NodeContext {
  const { store, audit, identity } = opts;
  const now = opts.now ?? Date.now;
  const data = store.data;
  // Object ids come from callers (handles, user names): a null-prototype map, also for state read from disk.
  if (Object.getPrototypeOf(data.objects) !== null) data.objects = Object.assign(Object.create(null) as Record<string, ReplicatedObject>, data.objects);
  const usedTokens = new Map<string, number>();
  for (const o of Object.values(data.objects)) if (o.kind === 'used-token') usedTokens.set(o.id, o.exp);
  /** Forget accepted tokens that have expired (they fail on expiry anyway). Every node prunes on its own clock. */
  const pruneUsedTokens = (): void => {
    const t = now();
    for (const [id, exp] of usedTokens) {
      if (exp >= t) continue;
      usedTokens.delete(id);
      delete data.objects[id];
      digestCache = undefined;
    }
  };
  const sessions = new Map<string, Session>();
  const sessionKeyStore = new Map<string, KeyObjectRecord>();
  const keyObjectCache = new Map<string, KeyObject>();
  let tampered = false;
  let digestCache: { list: Array<[string, number]>; hash: string } | undefined;
  let usersById: Map<string, UserObject> | undefined;
  let keysByRequest: Map<string, string> | undefined;
  const requestKey = (ownerId: string, requestId: string) => `${ownerId}\n${requestId}`;
  const indexRequest = (o: ReplicatedObject) => {
    if (keysByRequest && o.kind === 'key' && o.requestId && !o.deleted) keysByRequest.set(requestKey(ownerIdOf(o), o.requestId), o.id);
  };
  const objects = () => data.objects;

  const node: NodeContext = {
    // A state written before a limit existed reads that limit's default.
    identity, store, audit, data, limits: { ...DEFAULT_LIMITS, ...data.cluster.limits }, sessions, sessionKeyStore, keyObjectCache,
    failures: new Map(),
    loginQueue: new Map(),
    usedTokens,
    get tampered() {
      return tampered;
    },
    peerStatus: () => opts.peerStatus?.() ?? [],
    createBackup: opts.createBackup,
    now,
    objects,
    user(name) {
      const u = objects()[`u:${name}`];
      return u && u.kind === 'user' && !u.deleted ? u : undefined;
    },
    userById(uid) {
      if (!usersById) {
        usersById = new Map();
        for (const o of Object.values(objects())) if (o.kind === 'user' && !o.deleted) usersById.set(userIdOf(o), o);
      }
      return usersById.get(uid);
    },
    keyByRequest(ownerId, requestId) {
      if (!keysByRequest) {
        keysByRequest = new Map();
        for (const o of Object.values(objects())) indexRequest(o);
      }
      const o = objects()[keysByRequest.get(requestKey(ownerId, requestId)) ?? ''];
      return o && o.kind === 'key' && !o.deleted ? o : undefined;
    },
    quorumSettings() {
      const q = objects()['q:settings'];
      return q && q.kind === 'quorum' ? q : { kind: 'quorum', id: 'q:settings', version: 0, values: { user: 1, quorum: 1 } };
    },
    nextVersion: (prev) => Math.max((prev ?? 0) + 1, now() * 1000),
    put(obj) {
      objects()[obj.id] = obj;
      if (obj.kind === 'used-token') usedTokens.set(obj.id, obj.exp);
      digestCache = undefined;
      if (obj.kind === 'user') usersById = undefined;
      indexRequest(obj);
    },
    persist: () => store.persist(),
    getKey(handle) {
      const k = sessionKeyStore.get(handle) ?? objects()[`k:${handle}`];
      if (!k || k.kind !== 'key' || k.deleted) throw unavailable(`key ${handle} not found on node ${identity.nodeId}`);
      return k;
    },
    digest() {
      pruneUsedTokens();
      if (!digestCache) {
        const list = Object.values(objects())
          .map((o): [string, number] => [o.id, o.version])
          .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
        digestCache = { list, hash: createHash('sha256').update(list.map(([id, v]) => `${id}@${v}`).join('\n')).digest('hex') };
      }
      return digestCache;
    },
    masked(ids) {
      const out: MaskedObject[] = [];
      for (const id of ids) {
        const o = objects()[id];
        if (o) out.push(maskObject(data.cluster.maskingKey, o));
      }
      return out;
    },
    async pushToPeers(ids) {
      if (!opts.pushToPeers) return 0;
      return opts.pushToPeers(node.masked(ids)).catch(() => 0);
    },
    async mergeObjects(objs) {
      let changed = 0;
      const changedIds: string[] = [];
      for (const o of objs) {
        const cur = objects()[o.id];
        if (cur && cur.version >= o.version) continue;
        if (o.kind === 'used-token' && o.exp < now()) continue;
        if (o.kind === 'key' && o.material && !Buffer.isBuffer(o.material)) o.material = Buffer.from(o.material as unknown as Uint8Array);
        node.put(o);
        changed++;
        changedIds.push(o.id);
        // A deleted or locked user, or a new user under the same name, ends the old sessions.
        if (o.kind === 'user') for (const s of sessions.values()) if (s.user === o.name && (o.deleted || o.locked || userIdOf(o) !== s.uid)) sessions.delete(s.id);
      }
      if (changed > 0) {
        await store.persist();
        for (const detail of idChunks(changedIds, { objects: changed })) audit.append({ op: 'sync.merge', response: 'SUCCESS', detail });
      }
      return changed;
    },
    dropSession(conn) {
      if (conn.session) sessions.delete(conn.session.id);
      conn.session = undefined;
    },
    tamper(reason) {
      if (tampered) return;
      tampered = true;
      sessions.clear();
      for (const k of sessionKeyStore.values()) k.material.fill(0);
      sessionKeyStore.clear();
      keyObjectCache.clear();
      store.zeroize();
      digestCache = undefined;
      audit.append({ op: 'tamper.detected', response: 'SUCCESS', detail: { reason } });
    },
  };
  return node;
}

/** A key the caller may use (owner or shared with), optionally checking one usage attribute. */
export function mustUse(ctx: LoggedIn, handle: string, attr?: keyof KeyAttributes): KeyObjectRecord {
  const { node, session: s } = ctx;
  const k = node.getKey(handle);
  // Session keys belong to the connection (PKCS#11 session objects) and nobody else sees them.
  if (!k.attrs.token && !ctx.conn.sessionKeys.has(handle)) throw unavailable(`key ${handle} not found on node ${node.identity.nodeId}`);
  if (!mayUse(k, s)) throw unavailable(`key ${handle} not found or not shared with ${s.user}`);
  if (attr && !k.attrs[attr]) throw denied(`key ${handle} does not permit ${attr} (attribute ${attr}=false)`, 'KEY_FUNCTION_NOT_PERMITTED');
  return k;
}

/** A key the caller owns (management: attributes, sharing, deletion, export). */
export function mustManage(ctx: LoggedIn, handle: string): KeyObjectRecord {
  const k = mustUse(ctx, handle);
  if (!ownedBy(k, ctx.session)) throw denied(`only the owner (${k.owner}) can manage key ${handle}; shared users may only use it`, 'NOT_OWNER');
  return k;
}

/**
 * Check the quorum token and approvals in `args` for operation `op` when its service needs more than
 * one approval (`needed` overrides the service's value: changing a quorum value needs the higher of
 * both). The token must name `op`, carry the digest of exactly these arguments, not be expired, and
 * not have been accepted before on any node: the accepted nonce becomes a replicated object, persisted
 * with the operation and pushed to the peers before the operation runs.
 */
export async function requireQuorum(ctx: LoggedIn, op: QuorumOp, args: Args, needed?: number): Promise<void> {
  const { node } = ctx;
  const { data } = node;
  const service = quorumServiceOf(op);
  const m = needed ?? node.quorumSettings().values[service];
  if (m <= 1) return;
  const token = a.optBytes(args, 'quorumToken', 4096);
  if (!token) throw denied(`operation needs quorum: ${m} admin approvals for service "${service}" (generate a token for ${op} with quorum.tokenGenerate)`, 'QUORUM_REQUIRED');
  const p = openQuorumToken(data.cluster.maskingKey, token, data.cluster.clusterId, node.now());
  if (p.op !== op) throw denied(`quorum token was approved for ${p.op}, not ${op}`, 'QUORUM_REQUIRED');
  if (p.args !== quorumArgsDigest(data.cluster.maskingKey, op, args)) throw denied(`quorum token was approved for other arguments of ${op}`, 'QUORUM_REQUIRED');
  if (p.requester !== ctx.session.user) throw denied('quorum token was generated for another user', 'QUORUM_REQUIRED');
  const usedId = `t:${p.nonce}`;
  if (node.usedTokens.has(usedId) || node.objects()[usedId]) throw denied('quorum token already used', 'QUORUM_REQUIRED');
  const approvals = a.list(args, 'approvals', 16).map((x) => {
    const o = x as Args;
    return { user: a.str(o, 'user', 31), signature: a.bytes(o, 'signature', 256) };
  });
  const got = countApprovals(token, approvals, (name) => {
    const u = node.user(name);
    return u && u.role === 'admin' ? u.quorumKey : undefined;
  });
  if (got < m) throw denied(`quorum not met for service "${service}": ${got} of ${m} required approvals`, 'QUORUM_REQUIRED');
  // From here on the token is spent (no await between the check above and this put).
  node.put({ kind: 'used-token', id: usedId, version: node.nextVersion(undefined), exp: p.exp });
  await node.persist();
  await node.pushToPeers([usedId]);
}
