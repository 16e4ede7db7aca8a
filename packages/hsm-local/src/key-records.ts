/**
 * Key records as the node creates, stores and describes them: the creation template with
 * PKCS#11-style attribute defaults (CKA_TOKEN, CKA_EXTRACTABLE, CKA_ENCRYPT, …; CloudHSM:
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_cli-key-attributes-table.html), the
 * cluster key limits (https://docs.aws.amazon.com/general/latest/gr/cloudhsm.html), and
 * cached Node KeyObjects for private and public keys.
 */
import { randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { NodeKey } from '@strongroom/hsm-protocol';
import * as a from './args';
import type { Args } from './args';
import type { LoggedIn, NodeContext } from './context';
import { denied, invalid, limit } from './errors';
import * as mech from './mechanisms';
import { userIdOf } from './ownership';
import type { KeyAttributes, KeyObjectRecord } from './state';

export type KeyTemplateValues = { label: string; keyId: string; attrs: KeyAttributes; sharedWith: string[] };

/** The protocol's description of a key (never its material); shares are reported by current user name. */
export function describe(node: NodeContext, k: KeyObjectRecord): NodeKey {
  const names: string[] = [];
  for (const uid of k.sharedWith) {
    const u = node.userById(uid);
    if (u) names.push(u.name);
  }
  return {
    handle: k.handle, label: k.label, id: k.keyId, type: k.type, class: k.class, bits: k.bits, curve: k.curve ?? null,
    owner: k.owner, sharedWith: names, pairHandle: k.pairHandle ?? null, version: k.version,
    attrs: { ...k.attrs }, createdAt: k.createdAt,
  };
}

export function privateKey(node: NodeContext, k: KeyObjectRecord): KeyObject {
  let ko = node.keyObjectCache.get(k.id + k.version);
  if (!ko) {
    if (k.class !== 'private') throw invalid(`key ${k.handle} is not a private key`);
    ko = mech.privateKeyFromDer(k.material);
    node.keyObjectCache.set(k.id + k.version, ko);
  }
  return ko;
}

export function publicKey(node: NodeContext, k: KeyObjectRecord): KeyObject {
  let ko = node.keyObjectCache.get(k.id + k.version + 'p');
  if (!ko) {
    if (k.class === 'public') ko = mech.publicKeyFromDer(k.material);
    else if (k.class === 'private') ko = mech.publicKeyFromDer(Buffer.from(mech.privateKeyFromDer(k.material).export({ type: 'spki', format: 'der' }) as Buffer));
    else throw invalid(`key ${k.handle} is not an asymmetric key`);
    node.keyObjectCache.set(k.id + k.version + 'p', ko);
  }
  return ko;
}

export function secret(k: KeyObjectRecord, type: 'aes' | 'generic-secret' | 'any'): Buffer {
  if (k.class !== 'secret' || (type !== 'any' && k.type !== type)) throw invalid(`key ${k.handle} is not ${type === 'aes' ? 'an AES' : 'a secret'} key`);
  return k.material;
}

function keyCounts(node: NodeContext): { total: number; asym: number } {
  let total = 0;
  let asym = 0;
  for (const o of Object.values(node.objects())) {
    if (o.kind === 'key' && !o.deleted) {
      total++;
      if (o.class !== 'secret') asym++;
    }
  }
  return { total: total + node.sessionKeyStore.size, asym };
}

/** Read the `template` argument: label, id, attributes with their defaults for this key type and class. */
export function template(node: NodeContext, args: Args, type: KeyObjectRecord['type'], klass: KeyObjectRecord['class']): KeyTemplateValues {
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
    const u = typeof x === 'string' ? node.user(x) : undefined;
    if (typeof x !== 'string' || !u || u.role !== 'crypto-user') throw invalid(`shareWith: ${String(x)} is not a crypto user`);
    return userIdOf(u);
  });
  return { label, keyId, attrs, sharedWith };
}

/**
 * The optional client-chosen `requestId` of a creation request (key.generate, key.import,
 * key.unwrap), and the key(s) an earlier request with the same id created (this node holds it once it
 * has replicated here): a retry of a creation whose answer was lost returns the same key instead of
 * making a second one under the same label. For imports and unwraps the caller supplies the key
 * material, so a retry must carry the same material (compared in constant time): an id reused for
 * other material is a caller bug, not a retry.
 * @throws INVALID_ARGUMENT when the id was used for a different key.
 */
export function priorCreation(
  ctx: LoggedIn,
  args: Args,
  label: string,
  type: KeyObjectRecord['type'],
  material?: Uint8Array,
): { requestId: string | undefined; keys: KeyObjectRecord[] | undefined } {
  const requestId = a.optStr(args, 'requestId', 64);
  if (requestId === undefined) return { requestId, keys: undefined };
  if (requestId.length < 8) throw invalid('requestId: at least 8 characters (use a random UUID per creation)');
  const k = ctx.node.keyByRequest(ctx.session.uid, requestId);
  if (!k) return { requestId, keys: undefined };
  const otherKey = `requestId ${requestId} already created key ${k.handle}`;
  if (k.label !== label || k.type !== type) throw invalid(`${otherKey} with another label or type; use a new id per creation`);
  if (material !== undefined && !sameBytes(k.material, material)) throw invalid(`${otherKey} from other key material; use a new id per creation`);
  const pair = k.pairHandle ? ctx.node.objects()[`k:${k.pairHandle}`] : undefined;
  if (!pair || pair.kind !== 'key' || pair.deleted) return { requestId, keys: [k] };
  return { requestId, keys: k.class === 'private' ? [k, pair] : [pair, k] };
}

/** Constant-time equality of two byte strings (their lengths are not secret). */
function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The record fields that remember a creation's request id (none when the caller sent none). */
export function withRequest(requestId: string | undefined): Partial<KeyObjectRecord> {
  return requestId === undefined ? {} : { requestId };
}

/** A new key record owned by the caller, with a fresh random handle. */
export function baseKey(
  ctx: LoggedIn, t: KeyTemplateValues, type: KeyObjectRecord['type'], klass: KeyObjectRecord['class'], bits: number, material: Buffer,
  extra: Partial<KeyObjectRecord> = {},
): KeyObjectRecord {
  const handle = randomBytes(8).toString('hex');
  const { node } = ctx;
  return {
    kind: 'key', id: `k:${handle}`, version: node.nextVersion(0), handle, label: t.label, keyId: t.keyId, type, class: klass, bits,
    owner: ctx.session.user, ownerId: ctx.session.uid, sharedWith: t.sharedWith, attrs: { ...t.attrs }, material, createdAt: node.now(), ...extra,
  };
}

/** Store freshly created keys: token keys are replicated objects, session keys live on the connection. */
export async function storeKeys(ctx: LoggedIn, recs: KeyObjectRecord[]): Promise<void> {
  const { node } = ctx;
  const { limits } = node;
  const counts = keyCounts(node);
  const asymNew = recs.filter((r) => r.class !== 'secret').length;
  if (counts.total + recs.length > limits.maxKeys) throw limit(`key limit reached: a cluster holds at most ${limits.maxKeys} keys`);
  if (counts.asym + asymNew > limits.maxAsymmetricKeys) throw limit(`asymmetric key limit reached: at most ${limits.maxAsymmetricKeys}`);
  let persist = false;
  for (const r of recs) {
    if (r.attrs.token) {
      node.put(r);
      persist = true;
    } else {
      node.sessionKeyStore.set(r.handle, r);
      ctx.conn.sessionKeys.add(r.handle);
    }
  }
  if (persist) await node.persist();
}

/** Replace a key record after a change: token keys are replicated, session keys stay on the node. */
export async function saveKey(node: NodeContext, next: KeyObjectRecord): Promise<void> {
  if (next.attrs.token) {
    node.put(next);
    await node.persist();
  } else node.sessionKeyStore.set(next.handle, next);
}
