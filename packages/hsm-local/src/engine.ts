/**
 * The node's operation set: sessions and the CloudHSM role split (reference A.1), users and
 * lockout, quorum (A.2), keys and attributes (A.3), sharing (A.4), masked-object sync (A.5),
 * mechanisms (A.10), limits (A.12). Transport-free: server.ts feeds it decoded requests.
 *
 * Every operation is audited; operations that change durable state are acknowledged only after the
 * sealed state and their audit record are on disk (group commit). Crypto operations touch neither
 * disk nor fsync.
 */
import { createHash, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { StrongroomError } from '@strongroom/core';
import * as a from './args';
import type { Args } from './args';
import { idChunks, importedId, type AuditLog } from './audit';
import { pooledRandomBytes } from './random-pool';
import { asMaskedObject, maskObject, unmaskObject, type MaskedObject } from './masked';
import * as mech from './mechanisms';
import { checkPassword, checkUserName, hashPassword, verifyPassword } from './passwords';
import { countApprovals, mintQuorumToken, openQuorumToken, QUORUM_SERVICES, type QuorumService } from './quorum';
import type { OpClass, Shaper } from './shaping';
import type { KeyAttributes, KeyObjectRecord, NodeIdentity, QuorumObject, ReplicatedObject, Role, StateStore, UserObject } from './state';
import type { WireValue } from './wire/codec';

export interface Session {
  id: string;
  user: string;
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

export interface SyncPeerStatus {
  url: string;
  ok: boolean;
  lastSyncAt: number | null;
  lastError: string | null;
  pulled: number;
}

export interface EngineOptions {
  identity: NodeIdentity;
  store: StateStore;
  audit: AuditLog;
  shaper: Shaper;
  now?: () => number;
  peerStatus?: () => SyncPeerStatus[];
  createBackup?: () => Promise<{ path: string; createdAt: number }>;
}

type Handler = (ctx: ConnContext, args: Args) => WireValue | Promise<WireValue>;
type Access = 'none' | 'login' | 'admin' | 'crypto' | 'node' | 'node-or-login';

interface OpSpec {
  access: Access;
  /** Changes durable state: audit record must be durable before the response. */
  durable?: boolean;
  cls?: OpClass;
  fn: Handler;
}

const denied = (message: string, reason?: string) => new StrongroomError('ACCESS_DENIED', message, reason ? { details: { reason } } : {});
const unavailable = (message: string) => new StrongroomError('KEY_UNAVAILABLE', message);
const invalid = (message: string) => new StrongroomError('INVALID_ARGUMENT', message);
const limit = (message: string) => new StrongroomError('LIMIT_EXCEEDED', message, { details: { reason: 'LIMIT' } });

const MODIFIABLE = ['label', 'encrypt', 'decrypt', 'wrap', 'unwrap', 'sign', 'verify'] as const;
const SIGN_MECHS = ['ecdsa', 'rsa-pss', 'rsa-pkcs1'] as const;
const SHA2 = ['sha256', 'sha384', 'sha512'] as const;
const OAEP = ['sha1', 'sha256', 'sha384', 'sha512'] as const;
const WRAP_MECHS = ['aes-kw', 'aes-kwp', 'aes-gcm', 'rsa-oaep-sha1', 'rsa-oaep-sha256', 'rsa-oaep-sha384', 'rsa-oaep-sha512'] as const;

export interface Engine {
  handle(ctx: ConnContext, op: string, args: Args): WireValue | Promise<WireValue>;
  connectionClosed(ctx: ConnContext): void;
  /** Merge objects received from a peer (server-side sync). Returns how many changed. */
  mergeObjects(objs: ReplicatedObject[]): Promise<number>;
  digestList(): Array<[string, number]>;
  /** SHA-256 over the sorted (id, version) list: equal on two nodes means in sync. */
  digestHash(): string;
  masked(ids: string[]): MaskedObject[];
  tamper(reason: string): void;
  readonly tampered: boolean;
  sessionCount(): number;
}

export function createEngine(opts: EngineOptions): Engine {
  const { store, audit, shaper, identity } = opts;
  const now = opts.now ?? Date.now;
  const data = store.data;
  const limits = data.cluster.limits;
  const sessions = new Map<string, Session>();
  const sessionKeyStore = new Map<string, KeyObjectRecord>();
  const failures = new Map<string, number>();
  const keyObjectCache = new Map<string, KeyObject>();
  const usedTokens = new Map<string, number>();
  let tampered = false;

  /* ------------------------------------------------------------- helpers */

  const objects = () => data.objects;
  const user = (name: string) => {
    const u = objects()[`u:${name}`];
    return u && u.kind === 'user' && !u.deleted ? u : undefined;
  };
  const quorumSettings = (): QuorumObject => {
    const q = objects()['q:settings'];
    return q && q.kind === 'quorum' ? q : { kind: 'quorum', id: 'q:settings', version: 0, values: { user: 1, quorum: 1 } };
  };
  function nextVersion(prev: number | undefined): number {
    return Math.max((prev ?? 0) + 1, now() * 1000);
  }
  let digestCache: { list: Array<[string, number]>; hash: string } | undefined;
  function put(obj: ReplicatedObject): void {
    objects()[obj.id] = obj;
    digestCache = undefined;
  }

  function getKey(handle: string): KeyObjectRecord {
    const k = sessionKeyStore.get(handle) ?? objects()[`k:${handle}`];
    if (!k || k.kind !== 'key' || k.deleted) throw unavailable(`key ${handle} not found on node ${identity.nodeId}`);
    return k;
  }
  function mustUse(ctx: ConnContext, handle: string, attr?: keyof KeyAttributes): KeyObjectRecord {
    const s = ctx.session!;
    const k = getKey(handle);
    // Session keys belong to the connection (PKCS#11 session objects) and nobody else sees them.
    if (!k.attrs.token && !ctx.sessionKeys.has(handle)) throw unavailable(`key ${handle} not found on node ${identity.nodeId}`);
    if (k.owner !== s.user && !k.sharedWith.includes(s.user)) throw unavailable(`key ${handle} not found or not shared with ${s.user}`);
    if (attr && !k.attrs[attr]) throw denied(`key ${handle} does not permit ${attr} (attribute ${attr}=false)`, 'KEY_FUNCTION_NOT_PERMITTED');
    return k;
  }
  function mustManage(ctx: ConnContext, handle: string): KeyObjectRecord {
    const k = mustUse(ctx, handle);
    if (k.owner !== ctx.session!.user) throw denied(`only the owner (${k.owner}) can manage key ${handle}; shared users may only use it`, 'NOT_OWNER');
    return k;
  }
  function privateKey(k: KeyObjectRecord): KeyObject {
    let ko = keyObjectCache.get(k.id + k.version);
    if (!ko) {
      if (k.class !== 'private') throw invalid(`key ${k.handle} is not a private key`);
      ko = mech.privateKeyFromDer(k.material);
      keyObjectCache.set(k.id + k.version, ko);
    }
    return ko;
  }
  function publicKey(k: KeyObjectRecord): KeyObject {
    let ko = keyObjectCache.get(k.id + k.version + 'p');
    if (!ko) {
      if (k.class === 'public') ko = mech.publicKeyFromDer(k.material);
      else if (k.class === 'private') ko = mech.publicKeyFromDer(Buffer.from(mech.privateKeyFromDer(k.material).export({ type: 'spki', format: 'der' }) as Buffer));
      else throw invalid(`key ${k.handle} is not an asymmetric key`);
      keyObjectCache.set(k.id + k.version + 'p', ko);
    }
    return ko;
  }
  function secret(k: KeyObjectRecord, type: 'aes' | 'generic-secret' | 'any'): Buffer {
    if (k.class !== 'secret' || (type !== 'any' && k.type !== type)) throw invalid(`key ${k.handle} is not ${type === 'aes' ? 'an AES' : 'a secret'} key`);
    return k.material;
  }

  function describe(k: KeyObjectRecord): WireValue {
    return {
      handle: k.handle, label: k.label, id: k.keyId, type: k.type, class: k.class, bits: k.bits, curve: k.curve ?? null,
      owner: k.owner, sharedWith: [...k.sharedWith], pairHandle: k.pairHandle ?? null, version: k.version,
      attrs: { ...k.attrs }, createdAt: k.createdAt,
    };
  }

  function keyCounts(): { total: number; asym: number } {
    let total = 0;
    let asym = 0;
    for (const o of Object.values(objects())) {
      if (o.kind === 'key' && !o.deleted) {
        total++;
        if (o.class !== 'secret') asym++;
      }
    }
    return { total: total + sessionKeyStore.size, asym };
  }

  function template(args: Args, type: KeyObjectRecord['type'], klass: KeyObjectRecord['class']): { label: string; keyId: string; attrs: KeyAttributes; sharedWith: string[] } {
    const t = a.map(args, 'template');
    const label = a.str(t, 'label', 256);
    const keyId = a.optStr(t, 'id', 128) ?? '';
    const b = (n: string, d: boolean) => a.optBool(t, n) ?? d;
    const isPublic = klass === 'public';
    const attrs: KeyAttributes = {
      token: b('token', true),
      extractable: isPublic ? true : b('extractable', false),
      encrypt: b('encrypt', type === 'aes' ? true : isPublic && type === 'rsa'),
      decrypt: b('decrypt', type === 'aes' ? true : klass === 'private' && type === 'rsa'),
      wrap: b('wrap', false),
      unwrap: b('unwrap', false),
      sign: b('sign', klass === 'private' || type === 'generic-secret'),
      verify: b('verify', isPublic || type === 'generic-secret'),
      trusted: false,
      wrapWithTrusted: b('wrapWithTrusted', false),
      neverExtractable: false,
      local: true,
    };
    if (a.optBool(t, 'trusted')) throw denied('only an admin can set trusted (CKA_TRUSTED)', 'ADMIN_ONLY_ATTRIBUTE');
    attrs.neverExtractable = !attrs.extractable;
    const sharedWith = a.list(t, 'shareWith', 64).map((x) => {
      if (typeof x !== 'string' || !user(x) || user(x)!.role !== 'crypto-user') throw invalid(`shareWith: ${String(x)} is not a crypto user`);
      return x;
    });
    return { label, keyId, attrs, sharedWith };
  }

  function newHandle(): string {
    return randomBytes(8).toString('hex');
  }

  /** Store a freshly created key: token keys are replicated objects, session keys live on the connection. */
  async function storeKeys(ctx: ConnContext, recs: KeyObjectRecord[]): Promise<void> {
    const counts = keyCounts();
    const asymNew = recs.filter((r) => r.class !== 'secret').length;
    if (counts.total + recs.length > limits.maxKeys) throw limit(`key limit reached: a cluster holds at most ${limits.maxKeys} keys`);
    if (counts.asym + asymNew > limits.maxAsymmetricKeys) throw limit(`asymmetric key limit reached: at most ${limits.maxAsymmetricKeys}`);
    let persist = false;
    for (const r of recs) {
      if (r.attrs.token) {
        put(r);
        persist = true;
      } else {
        sessionKeyStore.set(r.handle, r);
        ctx.sessionKeys.add(r.handle);
      }
    }
    if (persist) await store.persist();
  }

  function baseKey(ctx: ConnContext, t: ReturnType<typeof template>, type: KeyObjectRecord['type'], klass: KeyObjectRecord['class'], bits: number, material: Buffer, extra: Partial<KeyObjectRecord> = {}): KeyObjectRecord {
    const handle = newHandle();
    return {
      kind: 'key', id: `k:${handle}`, version: nextVersion(0), handle, label: t.label, keyId: t.keyId, type, class: klass, bits,
      owner: ctx.session!.user, sharedWith: t.sharedWith, attrs: { ...t.attrs }, material, createdAt: now(), ...extra,
    };
  }

  async function requireQuorum(ctx: ConnContext, service: QuorumService, args: Args): Promise<void> {
    const m = quorumSettings().values[service];
    if (m <= 1) return;
    const token = a.optBytes(args, 'quorumToken', 4096);
    if (!token) throw denied(`operation needs quorum: ${m} admin approvals for service "${service}" (generate a token with quorum.tokenGenerate)`, 'QUORUM_REQUIRED');
    const p = openQuorumToken(data.cluster.maskingKey, token, data.cluster.clusterId, now());
    if (p.service !== service) throw denied(`quorum token is for service ${p.service}, not ${service}`, 'QUORUM_REQUIRED');
    if (p.requester !== ctx.session!.user) throw denied('quorum token was generated for another user', 'QUORUM_REQUIRED');
    if (usedTokens.has(p.nonce)) throw denied('quorum token already used', 'QUORUM_REQUIRED');
    const approvals = a.list(args, 'approvals', 16).map((x) => {
      const o = x as Args;
      return { user: a.str(o, 'user', 31), signature: a.bytes(o, 'signature', 256) };
    });
    const got = countApprovals(token, approvals, (name) => {
      const u = user(name);
      return u && u.role === 'admin' ? u.quorumKey : undefined;
    });
    if (got < m) throw denied(`quorum not met for service "${service}": ${got} of ${m} required approvals`, 'QUORUM_REQUIRED');
    usedTokens.set(p.nonce, p.exp);
    // CloudHSM keeps at most 1,024 tokens; expired ones can be forgotten (they fail on expiry anyway).
    if (usedTokens.size > 1024) for (const [n, exp] of usedTokens) if (exp < now()) usedTokens.delete(n);
  }

  /* ------------------------------------------------------------- operations */

  const ops: Record<string, OpSpec> = {
    hello: {
      access: 'none',
      fn: () => ({ nodeId: identity.nodeId, clusterId: identity.clusterId, az: identity.az, state: tampered ? 'TAMPERED' : 'ACTIVE', protocol: 1 }),
    },
    status: {
      access: 'none',
      fn: () => {
        const { list, hash } = digest();
        let keys = 0;
        for (const [id] of list) if (id.startsWith('k:') && !(objects()[id] as KeyObjectRecord).deleted) keys++;
        return {
          nodeId: identity.nodeId, clusterId: identity.clusterId, az: identity.az, state: tampered ? 'TAMPERED' : 'ACTIVE',
          objects: list.length, keys, digest: hash,
          sessions: sessions.size, auditSeq: audit.lastSeq,
          peers: (opts.peerStatus?.() ?? []).map((p) => ({ ...p })),
        };
      },
    },
    login: {
      access: 'none',
      durable: true,
      fn: async (ctx, args) => {
        const name = a.str(args, 'user', 64);
        const password = a.str(args, 'password', 64);
        const u = user(name);
        if (ctx.session && sessions.has(ctx.session.id)) throw denied('this connection is already logged in; log out first', 'ALREADY_LOGGED_IN');
        ctx.session = undefined;
        if (!u) {
          await verifyPassword(password, { salt: Buffer.alloc(16), n: 1 << 14, r: 8, p: 1, hash: Buffer.alloc(32) }); // equalize timing
          throw denied('login failed: unknown user or wrong password', 'LOGIN_FAILED');
        }
        if (u.locked) throw denied(`user ${name} is locked after repeated login failures; an admin must unlock or reset it`, 'USER_LOCKED');
        const ok = await verifyPassword(password, u.password);
        if (!ok) {
          const n = (failures.get(name) ?? 0) + 1;
          failures.set(name, n);
          if (n >= limits.lockoutThreshold) {
            put({ ...u, locked: true, version: nextVersion(u.version) });
            failures.delete(name);
            await store.persist();
            throw denied(`login failed; user ${name} is now locked after ${limits.lockoutThreshold} failures`, 'USER_LOCKED');
          }
          // Same answer as for an unknown user: a client must not learn which user names exist.
          throw denied('login failed: unknown user or wrong password', 'LOGIN_FAILED');
        }
        failures.delete(name);
        if (sessions.size >= limits.maxSessionsPerNode) throw limit(`session limit reached: at most ${limits.maxSessionsPerNode} sessions per node`);
        const t = now();
        const s: Session = { id: randomUUID(), user: name, role: u.role, mustChangePassword: u.mustChangePassword, loginAt: t, lastUse: t };
        sessions.set(s.id, s);
        ctx.session = s;
        return { session: s.id, role: u.role, mustChangePassword: u.mustChangePassword };
      },
    },
    logout: {
      access: 'login',
      fn: (ctx) => {
        dropSession(ctx);
        return true;
      },
    },
    'user.changePassword': {
      access: 'login',
      durable: true,
      fn: async (ctx, args) => {
        const s = ctx.session!;
        const target = a.optStr(args, 'user', 64) ?? s.user;
        const pw = a.str(args, 'newPassword', 64);
        const err = checkPassword(pw);
        if (err) throw invalid(err);
        const u = user(target);
        if (!u) throw invalid(`no user ${target}`);
        if (target !== s.user) {
          if (s.role !== 'admin') throw denied('only admins can change another user\'s password', 'ADMIN_ONLY');
          await requireQuorum(ctx, 'user', args);
        }
        put({ ...u, password: await hashPassword(pw), mustChangePassword: false, locked: target === s.user ? u.locked : false, version: nextVersion(u.version) });
        if (target === s.user) s.mustChangePassword = false;
        failures.delete(target);
        await store.persist();
        return true;
      },
    },
    'user.create': {
      access: 'admin',
      durable: true,
      fn: async (ctx, args) => {
        const name = a.str(args, 'user', 64);
        const role = a.oneOf(args, 'role', ['admin', 'crypto-user'] as const);
        const pw = a.str(args, 'password', 64);
        const e1 = checkUserName(name);
        if (e1) throw invalid(e1);
        const e2 = checkPassword(pw);
        if (e2) throw invalid(e2);
        if (user(name)) throw invalid(`user ${name} already exists`);
        const count = Object.values(objects()).filter((o) => o.kind === 'user' && !o.deleted).length;
        if (count >= limits.maxUsers) throw limit(`user limit reached: a cluster holds at most ${limits.maxUsers} users`);
        await requireQuorum(ctx, 'user', args);
        const prev = objects()[`u:${name}`];
        put({ kind: 'user', id: `u:${name}`, version: nextVersion(prev?.version), name, role, password: await hashPassword(pw), mustChangePassword: false, locked: false });
        await store.persist();
        return { user: name, role, id: `u:${name}` };
      },
    },
    'user.delete': {
      access: 'admin',
      durable: true,
      fn: async (ctx, args) => {
        const name = a.str(args, 'user', 64);
        const u = user(name);
        if (!u) throw invalid(`no user ${name}`);
        if (name === ctx.session!.user) throw invalid('an admin cannot delete itself');
        const owned = Object.values(objects()).some((o) => o.kind === 'key' && !o.deleted && o.owner === name);
        if (owned) throw invalid(`user ${name} still owns keys; delete them first`);
        await requireQuorum(ctx, 'user', args);
        put({ ...u, deleted: true, version: nextVersion(u.version), password: { ...u.password, hash: Buffer.alloc(32) } });
        for (const s of sessions.values()) if (s.user === name) sessions.delete(s.id);
        await store.persist();
        return true;
      },
    },
    'user.unlock': {
      access: 'admin',
      durable: true,
      fn: async (ctx, args) => {
        const name = a.str(args, 'user', 64);
        const u = user(name);
        if (!u) throw invalid(`no user ${name}`);
        await requireQuorum(ctx, 'user', args);
        put({ ...u, locked: false, version: nextVersion(u.version) });
        failures.delete(name);
        await store.persist();
        return true;
      },
    },
    'user.list': {
      access: 'login',
      fn: () =>
        Object.values(objects())
          .filter((o): o is UserObject => o.kind === 'user' && !o.deleted)
          .map((u) => ({ user: u.name, role: u.role, locked: u.locked, mustChangePassword: u.mustChangePassword, quorumKey: !!u.quorumKey })),
    },
    'user.registerQuorumKey': {
      access: 'admin',
      durable: true,
      fn: async (ctx, args) => {
        const pem = a.str(args, 'publicKeyPem', 4096);
        try {
          const k = mech.publicKeyFromDer(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
          if (k.asymmetricKeyType !== 'ec') throw new Error('not EC');
        } catch {
          throw invalid('publicKeyPem must be an ECDSA public key (SPKI PEM)');
        }
        const u = user(ctx.session!.user)!;
        put({ ...u, quorumKey: pem, version: nextVersion(u.version) });
        await store.persist();
        return true;
      },
    },
    'quorum.tokenGenerate': {
      access: 'admin',
      fn: (ctx, args) => {
        const service = a.oneOf(args, 'service', QUORUM_SERVICES);
        return { token: mintQuorumToken(data.cluster.maskingKey, { cluster: data.cluster.clusterId, service, requester: ctx.session!.user, exp: now() + limits.quorumTokenTtlMs }) };
      },
    },
    'quorum.get': { access: 'login', fn: () => ({ ...quorumSettings().values }) },
    'quorum.setValue': {
      access: 'admin',
      durable: true,
      fn: async (ctx, args) => {
        const service = a.oneOf(args, 'service', QUORUM_SERVICES);
        const value = a.int(args, 'value', 1, 8);
        const admins = Object.values(objects()).filter((o) => o.kind === 'user' && !o.deleted && o.role === 'admin' && o.quorumKey).length;
        if (value > 1 && value < 2) throw invalid('quorum minimum is 2');
        if (value > admins) throw invalid(`quorum value ${value} exceeds the ${admins} admins with registered quorum keys`);
        await requireQuorum(ctx, 'quorum', args);
        const q = quorumSettings();
        put({ ...q, values: { ...q.values, [service]: value }, version: nextVersion(q.version) });
        await store.persist();
        return { ...quorumSettings().values };
      },
    },

    /* ---- keys: management */
    'key.generate': {
      access: 'crypto',
      durable: true,
      cls: 'keygen',
      fn: async (ctx, args) => {
        const type = a.oneOf(args, 'type', ['aes', 'generic-secret', 'rsa', 'ec'] as const);
        if (type === 'aes' || type === 'generic-secret') {
          const bits = a.int(args, 'bits', 8, 4096);
          if (type === 'aes' && ![128, 192, 256].includes(bits)) throw invalid('AES keys are 128, 192 or 256 bits');
          if (type === 'generic-secret' && (bits % 8 !== 0 || bits < 128)) throw invalid('generic secrets are a multiple of 8 bits, at least 128');
          const t = template(args, type, 'secret');
          const rec = baseKey(ctx, t, type, 'secret', bits, randomBytes(bits / 8));
          await storeKeys(ctx, [rec]);
          return { key: describe(rec) };
        }
        const tPriv = template(args, type, 'private');
        const tPub = template({ template: { ...a.map(args, 'template'), extractable: true } }, type, 'public');
        tPub.attrs.token = tPriv.attrs.token;
        let pair: { privateDer: Buffer; publicDer: Buffer };
        let bits: number;
        let curve: 'P-256' | 'P-384' | undefined;
        if (type === 'rsa') {
          bits = a.int(args, 'bits', 2048, 4096);
          if (![2048, 3072, 4096].includes(bits)) throw invalid('RSA keys are 2048, 3072 or 4096 bits');
          pair = await mech.generateRsa(bits);
        } else {
          curve = a.oneOf(args, 'curve', ['P-256', 'P-384'] as const);
          bits = curve === 'P-256' ? 256 : 384;
          pair = await mech.generateEc(curve);
        }
        const priv = baseKey(ctx, tPriv, type, 'private', bits, pair.privateDer, curve ? { curve } : {});
        const pub = baseKey(ctx, tPub, type, 'public', bits, pair.publicDer, curve ? { curve } : {});
        priv.pairHandle = pub.handle;
        pub.pairHandle = priv.handle;
        await storeKeys(ctx, [priv, pub]);
        return { privateKey: describe(priv), publicKey: describe(pub) };
      },
    },
    'key.import': {
      access: 'crypto',
      durable: true,
      fn: async (ctx, args) => {
        const format = a.oneOf(args, 'format', ['raw-aes', 'raw-secret', 'pkcs8', 'spki'] as const);
        const material = Buffer.from(a.bytes(args, 'material', 16384));
        let rec: KeyObjectRecord;
        if (format === 'raw-aes' || format === 'raw-secret') {
          if (format === 'raw-aes' && ![16, 24, 32].includes(material.length)) throw invalid('AES keys are 16, 24 or 32 bytes');
          const type = format === 'raw-aes' ? 'aes' : 'generic-secret';
          rec = baseKey(ctx, template(args, type, 'secret'), type, 'secret', material.length * 8, material);
        } else {
          let ko: KeyObject;
          try {
            ko = format === 'pkcs8' ? mech.privateKeyFromDer(material) : mech.publicKeyFromDer(material);
          } catch {
            throw invalid(`material is not a ${format} DER key`);
          }
          const d = mech.describeAsymmetric(ko);
          const klass = format === 'pkcs8' ? 'private' : 'public';
          rec = baseKey(ctx, template(args, d.type, klass), d.type, klass, d.bits, material, d.curve ? { curve: d.curve } : {});
        }
        rec.attrs.local = false;
        rec.attrs.neverExtractable = false;
        await storeKeys(ctx, [rec]);
        return { key: describe(rec) };
      },
    },
    'key.find': {
      access: 'login',
      fn: (ctx, args) => {
        const s = ctx.session!;
        const label = a.optStr(args, 'label', 256);
        const handle = a.optStr(args, 'handle', 64);
        const klass = a.optStr(args, 'class', 16);
        const type = a.optStr(args, 'type', 32);
        const attrs = a.map(args, 'attributes');
        const out: WireValue[] = [];
        const all = [...Object.values(objects()), ...sessionKeyStore.values()];
        for (const o of all) {
          if (o.kind !== 'key' || o.deleted) continue;
          if (s.role === 'crypto-user' && o.owner !== s.user && !o.sharedWith.includes(s.user)) continue;
          if (label !== undefined && o.label !== label) continue;
          if (handle !== undefined && o.handle !== handle) continue;
          if (klass !== undefined && o.class !== klass) continue;
          if (type !== undefined && o.type !== type) continue;
          if (Object.entries(attrs).some(([k, v]) => (o.attrs as unknown as Record<string, unknown>)[k] !== v)) continue;
          out.push(describe(o));
          if (out.length >= 1000) break;
        }
        return out;
      },
    },
    'key.getAttributes': {
      access: 'login',
      fn: (ctx, args) => {
        const handle = a.str(args, 'handle', 64);
        return describe(ctx.session!.role === 'admin' ? getKey(handle) : mustUse(ctx, handle));
      },
    },
    'key.setAttributes': {
      access: 'login',
      durable: true,
      fn: async (ctx, args) => {
        const handle = a.str(args, 'handle', 64);
        const changes = a.map(args, 'attributes');
        const s = ctx.session!;
        const k = s.role === 'admin' ? getKey(handle) : mustManage(ctx, handle);
        const next: KeyObjectRecord = { ...k, attrs: { ...k.attrs } };
        for (const [name, v] of Object.entries(changes)) {
          if (name === 'trusted') {
            if (s.role !== 'admin') throw denied('only an admin can set trusted (CKA_TRUSTED)', 'ADMIN_ONLY_ATTRIBUTE');
            if (typeof v !== 'boolean') throw invalid('trusted must be a boolean');
            next.attrs.trusted = v;
            continue;
          }
          if (s.role === 'admin') throw denied('admins can only set the trusted attribute; key management belongs to crypto users', 'ADMIN_NO_KEY_MANAGEMENT');
          if (name === 'label') {
            if (typeof v !== 'string' || v.length > 256) throw invalid('label must be a string');
            next.label = v;
          } else if (name === 'token') {
            if (v !== true) throw invalid('token can only change from session to token');
          } else if (name === 'extractable') {
            if (v !== false) throw invalid('extractable can only be cleared, never set');
            next.attrs.extractable = false;
          } else if (name === 'wrapWithTrusted') {
            if (v !== true) throw invalid('wrapWithTrusted is read-only once set');
            next.attrs.wrapWithTrusted = true;
          } else if ((MODIFIABLE as readonly string[]).includes(name)) {
            if (typeof v !== 'boolean') throw invalid(`${name} must be a boolean`);
            (next.attrs as unknown as Record<string, boolean>)[name] = v;
          } else {
            throw invalid(`attribute ${name} is not modifiable`);
          }
        }
        next.version = nextVersion(k.version);
        if (changes.token === true && !k.attrs.token) {
          next.attrs.token = true;
          sessionKeyStore.delete(handle);
          ctx.sessionKeys.delete(handle);
        }
        if (next.attrs.token) {
          put(next);
          await store.persist();
        } else sessionKeyStore.set(handle, next);
        return describe(next);
      },
    },
    'key.delete': {
      access: 'crypto',
      durable: true,
      fn: async (ctx, args) => {
        const handle = a.str(args, 'handle', 64);
        const k = mustManage(ctx, handle);
        if (!k.attrs.token) {
          sessionKeyStore.delete(handle);
          ctx.sessionKeys.delete(handle);
          k.material.fill(0);
          return true;
        }
        put({ ...k, deleted: true, material: Buffer.alloc(0), sharedWith: [], version: nextVersion(k.version) });
        k.material.fill(0);
        await store.persist();
        return true;
      },
    },
    'key.share': {
      access: 'crypto',
      durable: true,
      fn: async (ctx, args) => shareOp(ctx, args, true),
    },
    'key.unshare': {
      access: 'crypto',
      durable: true,
      fn: async (ctx, args) => shareOp(ctx, args, false),
    },
    'key.export': {
      access: 'crypto',
      fn: (ctx, args) => {
        const k = mustManage(ctx, a.str(args, 'handle', 64));
        if (k.class !== 'public') {
          if (!k.attrs.extractable) throw denied(`key ${k.handle} is not extractable`, 'KEY_UNEXTRACTABLE');
          if (k.attrs.wrapWithTrusted) throw denied(`key ${k.handle} can only leave the HSM wrapped by a trusted key`, 'KEY_UNEXTRACTABLE');
        }
        return { material: Buffer.from(k.material), format: k.class === 'secret' ? 'raw' : k.class === 'private' ? 'pkcs8' : 'spki' };
      },
    },
    'key.wrap': {
      access: 'crypto',
      cls: 'symmetric',
      fn: (ctx, args) => {
        const mechanism = a.oneOf(args, 'mechanism', WRAP_MECHS);
        const wk = mustUse(ctx, a.str(args, 'wrappingHandle', 64), 'wrap');
        const target = mustUse(ctx, a.str(args, 'handle', 64));
        if (target.class === 'public') throw invalid('public keys are exported, not wrapped');
        if (!target.attrs.extractable) throw denied(`key ${target.handle} is not extractable`, 'KEY_UNEXTRACTABLE');
        if (target.attrs.wrapWithTrusted && !wk.attrs.trusted) throw denied(`key ${target.handle} can only be wrapped by a trusted key`, 'KEY_NOT_WRAPPABLE');
        return { wrapped: wrapBytes(wk, mechanism, target.material) };
      },
    },
    'key.unwrap': {
      access: 'crypto',
      durable: true,
      cls: 'symmetric',
      fn: async (ctx, args) => {
        const mechanism = a.oneOf(args, 'mechanism', WRAP_MECHS);
        const uk = mustUse(ctx, a.str(args, 'unwrappingHandle', 64), 'unwrap');
        const type = a.oneOf(args, 'keyType', ['aes', 'generic-secret', 'rsa', 'ec'] as const);
        const material = unwrapBytes(uk, mechanism, a.bytes(args, 'wrapped', 16384));
        let rec: KeyObjectRecord;
        if (type === 'aes' || type === 'generic-secret') {
          if (type === 'aes' && ![16, 24, 32].includes(material.length)) throw invalid('unwrapped AES key must be 16, 24 or 32 bytes');
          rec = baseKey(ctx, template(args, type, 'secret'), type, 'secret', material.length * 8, material);
        } else {
          let ko: KeyObject;
          try {
            ko = mech.privateKeyFromDer(material);
          } catch {
            throw invalid('unwrapped bytes are not a PKCS#8 private key');
          }
          const d = mech.describeAsymmetric(ko);
          if (d.type !== type) throw invalid(`unwrapped key is ${d.type}, not ${type}`);
          rec = baseKey(ctx, template(args, type, 'private'), type, 'private', d.bits, material, d.curve ? { curve: d.curve } : {});
        }
        rec.attrs.local = false;
        rec.attrs.neverExtractable = false;
        await storeKeys(ctx, [rec]);
        return { key: describe(rec) };
      },
    },

    /* ---- crypto */
    'aes.gcmEncrypt': {
      access: 'crypto',
      cls: 'symmetric',
      fn: (ctx, args) => {
        const k = mustUse(ctx, a.str(args, 'handle', 64), 'encrypt');
        return mech.aesGcmEncrypt(secret(k, 'aes'), a.bytes(args, 'plaintext'), a.optBytes(args, 'aad') ?? Buffer.alloc(0));
      },
    },
    'aes.gcmDecrypt': {
      access: 'crypto',
      cls: 'symmetric',
      fn: (ctx, args) => {
        const k = mustUse(ctx, a.str(args, 'handle', 64), 'decrypt');
        return { plaintext: mech.aesGcmDecrypt(secret(k, 'aes'), a.bytes(args, 'iv', 64), a.bytes(args, 'ciphertext'), a.bytes(args, 'tag', 64), a.optBytes(args, 'aad') ?? Buffer.alloc(0)) };
      },
    },
    'rsa.encrypt': {
      access: 'crypto',
      cls: 'asymmetric',
      fn: (ctx, args) => {
        const k = mustUse(ctx, a.str(args, 'handle', 64), 'encrypt');
        if (k.type !== 'rsa') throw invalid('RSA-OAEP needs an RSA key');
        return { ciphertext: mech.rsaOaepEncrypt(publicKey(k), a.oneOf(args, 'hash', OAEP), a.bytes(args, 'plaintext', 1024)) };
      },
    },
    'rsa.decrypt': {
      access: 'crypto',
      cls: 'asymmetric',
      fn: (ctx, args) => {
        const k = mustUse(ctx, a.str(args, 'handle', 64), 'decrypt');
        if (k.type !== 'rsa') throw invalid('RSA-OAEP needs an RSA key');
        return { plaintext: mech.rsaOaepDecrypt(privateKey(k), a.oneOf(args, 'hash', OAEP), a.bytes(args, 'ciphertext', 1024)) };
      },
    },
    sign: {
      access: 'crypto',
      cls: 'asymmetric',
      fn: (ctx, args) => {
        const k = mustUse(ctx, a.str(args, 'handle', 64), 'sign');
        const m = signMech(k, args);
        return { signature: mech.signData(privateKey(k), m, a.bytes(args, 'data')) };
      },
    },
    verify: {
      access: 'crypto',
      cls: 'asymmetric',
      fn: (ctx, args) => {
        const k = mustUse(ctx, a.str(args, 'handle', 64), 'verify');
        const m = signMech(k, args);
        return { valid: mech.verifyData(publicKey(k), m, a.bytes(args, 'data'), a.bytes(args, 'signature', 1024)) };
      },
    },
    hmac: {
      access: 'crypto',
      cls: 'symmetric',
      fn: (ctx, args) => {
        const k = mustUse(ctx, a.str(args, 'handle', 64), 'sign');
        return { mac: mech.hmac(secret(k, 'any'), a.oneOf(args, 'hash', SHA2), a.bytes(args, 'data')) };
      },
    },
    'hmac.verify': {
      access: 'crypto',
      cls: 'symmetric',
      fn: (ctx, args) => {
        const k = mustUse(ctx, a.str(args, 'handle', 64), 'verify');
        return { valid: mech.hmacVerify(secret(k, 'any'), a.oneOf(args, 'hash', SHA2), a.bytes(args, 'data'), a.bytes(args, 'mac', 128)) };
      },
    },
    digest: {
      access: 'login',
      cls: 'symmetric',
      fn: (_ctx, args) => ({ digest: mech.digest(a.oneOf(args, 'hash', SHA2), a.bytes(args, 'data')) }),
    },
    random: {
      access: 'login',
      cls: 'symmetric',
      fn: (_ctx, args) => ({ bytes: pooledRandomBytes(a.int(args, 'length', 1, 65536)) }),
    },

    /* ---- replication (masked objects) */
    'sync.export': {
      access: 'node-or-login',
      fn: (ctx, args) => {
        const id = a.str(args, 'id', 128);
        const o = objects()[id];
        if (!o) throw unavailable(`object ${id} not found on node ${identity.nodeId}`);
        const s = ctx.session;
        if (s) {
          if (o.kind === 'key' && s.role === 'crypto-user' && o.owner !== s.user && !o.sharedWith.includes(s.user)) throw unavailable(`object ${id} not found`);
          if (o.kind !== 'key' && s.role !== 'admin') throw denied('only admins can extract user and quorum objects', 'ADMIN_ONLY');
        }
        return maskObject(data.cluster.maskingKey, o) as unknown as WireValue;
      },
    },
    'sync.import': {
      access: 'node-or-login',
      durable: true,
      fn: async (_ctx, args) => {
        const m = asMaskedObject(args.masked);
        const obj = unmaskObject(data.cluster.maskingKey, m);
        return { changed: (await mergeObjects([obj])) > 0 };
      },
    },
    'sync.digest': { access: 'node-or-login', fn: () => digestList() as unknown as WireValue },
    'sync.has': {
      access: 'node-or-login',
      fn: (_ctx, args) => a.list(args, 'ids', 1000).map((id) => typeof id === 'string' && !!objects()[id] && !objects()[id]!.deleted),
    },
    'sync.get': {
      access: 'node',
      fn: (_ctx, args) => masked(a.list(args, 'ids', 500).filter((x): x is string => typeof x === 'string')) as unknown as WireValue,
    },
    'backup.create': {
      access: 'admin',
      durable: true,
      fn: async () => {
        if (!opts.createBackup) throw new StrongroomError('UNSUPPORTED', 'backups are not configured on this node');
        const b = await opts.createBackup();
        return { path: b.path, createdAt: b.createdAt };
      },
    },
  };

  async function shareOp(ctx: ConnContext, args: Args, share: boolean): Promise<WireValue> {
    const k = mustManage(ctx, a.str(args, 'handle', 64));
    const target = a.str(args, 'user', 64);
    const u = user(target);
    if (!u || u.role !== 'crypto-user') throw invalid(`${target} is not a crypto user`);
    const set = new Set(k.sharedWith);
    if (share) set.add(target);
    else set.delete(target);
    const next = { ...k, sharedWith: [...set], version: nextVersion(k.version) };
    if (k.attrs.token) {
      put(next);
      await store.persist();
    } else sessionKeyStore.set(k.handle, next);
    return describe(next);
  }

  function signMech(k: KeyObjectRecord, args: Args): mech.SignMechanism {
    const type = a.oneOf(args, 'mechanism', SIGN_MECHS);
    const hash = a.oneOf(args, 'hash', SHA2);
    if ((type === 'ecdsa') !== (k.type === 'ec')) throw invalid(`mechanism ${type} does not fit a ${k.type} key`);
    return { type, hash };
  }

  function wrapBytes(wk: KeyObjectRecord, m: (typeof WRAP_MECHS)[number], material: Buffer): Buffer {
    if (m === 'aes-kw' || m === 'aes-kwp') return mech.aesKeyWrap(secret(wk, 'aes'), material, m === 'aes-kwp');
    if (m === 'aes-gcm') {
      const r = mech.aesGcmEncrypt(secret(wk, 'aes'), material, Buffer.alloc(0));
      return Buffer.concat([r.iv, r.ciphertext, r.tag]); // CKM_CLOUDHSM_AES_GCM layout: IV ‖ ct ‖ tag
    }
    if (wk.type !== 'rsa') throw invalid('RSA-OAEP wrap needs an RSA key');
    return mech.rsaOaepEncrypt(publicKey(wk), m.slice('rsa-oaep-'.length) as mech.Hash, material);
  }

  function unwrapBytes(uk: KeyObjectRecord, m: (typeof WRAP_MECHS)[number], wrapped: Buffer): Buffer {
    if (m === 'aes-kw' || m === 'aes-kwp') return mech.aesKeyUnwrap(secret(uk, 'aes'), wrapped, m === 'aes-kwp');
    if (m === 'aes-gcm') {
      if (wrapped.length < 28) throw invalid('aes-gcm wrapped key too short');
      return mech.aesGcmDecrypt(secret(uk, 'aes'), wrapped.subarray(0, 12), wrapped.subarray(12, wrapped.length - 16), wrapped.subarray(wrapped.length - 16), Buffer.alloc(0));
    }
    if (uk.type !== 'rsa') throw invalid('RSA-OAEP unwrap needs an RSA key');
    return mech.rsaOaepDecrypt(privateKey(uk), m.slice('rsa-oaep-'.length) as mech.Hash, wrapped);
  }

  function digest(): { list: Array<[string, number]>; hash: string } {
    if (!digestCache) {
      const list = Object.values(objects())
        .map((o): [string, number] => [o.id, o.version])
        .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
      digestCache = { list, hash: createHash('sha256').update(list.map(([id, v]) => `${id}@${v}`).join('\n')).digest('hex') };
    }
    return digestCache;
  }
  function digestList(): Array<[string, number]> {
    return digest().list;
  }

  function masked(ids: string[]): MaskedObject[] {
    const out: MaskedObject[] = [];
    for (const id of ids) {
      const o = objects()[id];
      if (o) out.push(maskObject(data.cluster.maskingKey, o));
    }
    return out;
  }

  async function mergeObjects(objs: ReplicatedObject[]): Promise<number> {
    let changed = 0;
    const changedIds: string[] = [];
    for (const o of objs) {
      const cur = objects()[o.id];
      if (cur && cur.version >= o.version) continue;
      if (o.kind === 'key' && o.material && !Buffer.isBuffer(o.material)) o.material = Buffer.from(o.material as unknown as Uint8Array);
      put(o);
      changed++;
      changedIds.push(o.id);
      if (o.kind === 'user' && (o.deleted || o.locked)) for (const s of sessions.values()) if (s.user === o.name) sessions.delete(s.id);
    }
    if (changed > 0) {
      await store.persist();
      for (const detail of idChunks(changedIds, { objects: changed })) audit.append({ op: 'sync.merge', response: 'SUCCESS', detail });
    }
    return changed;
  }

  function dropSession(ctx: ConnContext): void {
    if (ctx.session) sessions.delete(ctx.session.id);
    ctx.session = undefined;
  }

  function checkAccess(ctx: ConnContext, op: string, spec: OpSpec): void {
    if (spec.access === 'none') return;
    const isNode = ctx.peer.startsWith('node:');
    if (spec.access === 'node') {
      if (!isNode) throw denied(`${op} is for cluster nodes only`, 'NODE_ONLY');
      return;
    }
    if (spec.access === 'node-or-login' && isNode) return;
    const s = ctx.session;
    if (!s || !sessions.has(s.id)) throw denied(`${op} needs a logged-in session`, 'NOT_LOGGED_IN');
    const t = now();
    if (t - s.lastUse > limits.sessionIdleMs || t - s.loginAt > limits.sessionMaxMs) {
      dropSession(ctx);
      throw denied('session expired; log in again', 'SESSION_EXPIRED');
    }
    s.lastUse = t;
    if (s.mustChangePassword && op !== 'user.changePassword' && op !== 'logout') {
      throw denied('the password must be changed before any other operation (unactivated admin)', 'PASSWORD_CHANGE_REQUIRED');
    }
    if (spec.access === 'admin' && s.role !== 'admin') throw denied(`${op} needs the admin role`, 'ADMIN_ONLY');
    if (spec.access === 'crypto' && s.role !== 'crypto-user') {
      throw denied(`${op} needs the crypto-user role; admins manage users and quorum but cannot manage or use keys`, 'CRYPTO_USER_ONLY');
    }
  }

  function auditDetail(op: string, args: Args): Record<string, unknown> | undefined {
    const d: Record<string, unknown> = {};
    for (const k of ['handle', 'label', 'user', 'role', 'service', 'type', 'mechanism', 'wrappingHandle', 'unwrappingHandle', 'id']) {
      const v = args[k];
      if (typeof v === 'string') d[k] = v;
    }
    if (op === 'key.generate' || op === 'key.import') {
      const t = args.template as Args | undefined;
      if (t && typeof t.label === 'string') d.label = t.label;
    }
    if (op === 'sync.import') d.ids = [importedId(args) ?? '(none)'];
    return Object.keys(d).length ? d : undefined;
  }

  function finish(ctx: ConnContext, op: string, args: Args, spec: OpSpec | undefined, error: unknown): void | Promise<void> {
    const entry = {
      op,
      user: ctx.session?.user ?? (ctx.peer.startsWith('node:') ? ctx.peer : undefined),
      session: ctx.session?.id,
      response: error ? `ERROR:${StrongroomError.isInstance(error) ? String(error.details?.reason ?? error.code) : 'INTERNAL'}` : 'SUCCESS',
      detail: auditDetail(op, args),
    };
    if (spec?.durable || op === 'login') return audit.appendDurable(entry);
    audit.append(entry);
  }

  function handle(ctx: ConnContext, op: string, args: Args): WireValue | Promise<WireValue> {
    const spec = Object.prototype.hasOwnProperty.call(ops, op) ? ops[op] : undefined;
    try {
      if (!spec) throw new StrongroomError('UNSUPPORTED', `unknown operation ${op.slice(0, 64)}`);
      if (tampered && op !== 'hello' && op !== 'status') {
        throw new StrongroomError('PROVIDER_ERROR', `node ${identity.nodeId} is in the TAMPERED state: it has zeroized its keys and refuses service until restored from a backup`, { details: { reason: 'TAMPERED' } });
      }
      checkAccess(ctx, op, spec);
      const gate = spec.cls ? shaper.admit(spec.cls) : undefined;
      const run = (): WireValue | Promise<WireValue> => spec.fn(ctx, args);
      const result = gate ? gate.then(run) : run();
      if (result instanceof Promise) {
        return result.then(
          async (v) => {
            await finish(ctx, op, args, spec, undefined);
            return v;
          },
          async (e: unknown) => {
            await Promise.resolve(finish(ctx, op, args, spec, e)).catch(() => undefined);
            throw e;
          },
        );
      }
      const f = finish(ctx, op, args, spec, undefined);
      return f ? f.then(() => result) : result;
    } catch (e) {
      const f = finish(ctx, op, args, spec, e);
      if (f) return f.catch(() => undefined).then(() => Promise.reject(e));
      throw e;
    }
  }

  return {
    handle,
    connectionClosed(ctx) {
      dropSession(ctx);
      for (const h of ctx.sessionKeys) {
        sessionKeyStore.get(h)?.material.fill(0);
        sessionKeyStore.delete(h);
      }
      ctx.sessionKeys.clear();
    },
    mergeObjects,
    digestList,
    digestHash: () => digest().hash,
    masked,
    tamper(reason: string) {
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
    get tampered() {
      return tampered;
    },
    sessionCount: () => sessions.size,
  };
}
