/**
 * Key management: generate, import, find, get and set attributes, delete, share and unshare.
 * Crypto users own the keys they create; an owner shares a key with other crypto users for use
 * only. CloudHSM: https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-keys-chsm-cli.html and
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/user-permissions-table-chsm-cli.html
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import type { KeyGenerateResult, NodeKey } from '@strongroom/hsm-protocol';
import * as a from '../args';
import type { Args } from '../args';
import { mustManage, mustUse, type LoggedIn } from '../context';
import { denied, invalid } from '../errors';
import { baseKey, describe, priorCreation, saveKey, storeKeys, template, withRequest } from '../key-records';
import * as mech from '../mechanisms';
import { ownedBy, sharedWith, userIdOf } from '../ownership';
import type { KeyObjectRecord } from '../state';
import type { OpTable } from './table';

const MODIFIABLE = ['label', 'encrypt', 'decrypt', 'wrap', 'unwrap', 'sign', 'verify'] as const;

/** Shares name the user's immutable id, so a later user with the same name is not the same user. */
async function shareOp(ctx: LoggedIn, args: Args, share: boolean): Promise<NodeKey> {
  const k = mustManage(ctx, a.str(args, 'handle', 64));
  const target = a.str(args, 'user', 64);
  const u = ctx.node.user(target);
  if (!u || u.role !== 'crypto-user') throw invalid(`${target} is not a crypto user`);
  const set = new Set(k.sharedWith);
  if (share) set.add(userIdOf(u));
  else set.delete(userIdOf(u));
  const next = { ...k, sharedWith: [...set], version: ctx.node.nextVersion(k.version) };
  await saveKey(ctx.node, next);
  return describe(ctx.node, next);
}

/** The answer to a creation: one key, or a private/public pair. */
function created(ctx: LoggedIn, keys: KeyObjectRecord[]): KeyGenerateResult {
  const [first, second] = keys;
  if (second) return { privateKey: describe(ctx.node, first!), publicKey: describe(ctx.node, second) };
  return { key: describe(ctx.node, first!) };
}

export const keyOps = {
  'key.generate': {
    access: 'crypto',
    durable: true,
    cls: 'keygen',
    fn: async (ctx, args) => {
      const { node } = ctx;
      const type = a.oneOf(args, 'type', ['aes', 'generic-secret', 'rsa', 'ec'] as const);
      if (type === 'aes' || type === 'generic-secret') {
        const bits = a.int(args, 'bits', 8, 4096);
        if (type === 'aes' && ![128, 192, 256].includes(bits)) throw invalid('AES keys are 128, 192 or 256 bits');
        if (type === 'generic-secret' && (bits % 8 !== 0 || bits < 128)) throw invalid('generic secrets are a multiple of 8 bits, at least 128');
        const t = template(node, args, type, 'secret');
        const prior = priorCreation(ctx, args, t.label, type);
        if (prior.keys) return created(ctx, prior.keys);
        const rec = baseKey(ctx, t, type, 'secret', bits, randomBytes(bits / 8), withRequest(prior.requestId));
        await storeKeys(ctx, [rec]);
        return { key: describe(node, rec) };
      }
      const tPriv = template(node, args, type, 'private');
      const prior = priorCreation(ctx, args, tPriv.label, type);
      if (prior.keys) return created(ctx, prior.keys);
      const tPub = template(node, { template: { ...a.map(args, 'template'), extractable: true } }, type, 'public');
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
      const priv = baseKey(ctx, tPriv, type, 'private', bits, pair.privateDer, { ...(curve ? { curve } : {}), ...withRequest(prior.requestId) });
      const pub = baseKey(ctx, tPub, type, 'public', bits, pair.publicDer, curve ? { curve } : {});
      priv.pairHandle = pub.handle;
      pub.pairHandle = priv.handle;
      await storeKeys(ctx, [priv, pub]);
      return { privateKey: describe(node, priv), publicKey: describe(node, pub) };
    },
  },
  'key.import': {
    access: 'crypto',
    durable: true,
    fn: async (ctx, args) => {
      const { node } = ctx;
      const format = a.oneOf(args, 'format', ['raw-aes', 'raw-secret', 'pkcs8', 'spki'] as const);
      const material = Buffer.from(a.bytes(args, 'material', 16384));
      let t: ReturnType<typeof template>;
      let rec: KeyObjectRecord;
      if (format === 'raw-aes' || format === 'raw-secret') {
        if (format === 'raw-aes' && ![16, 24, 32].includes(material.length)) throw invalid('AES keys are 16, 24 or 32 bytes');
        const type = format === 'raw-aes' ? 'aes' : 'generic-secret';
        t = template(node, args, type, 'secret');
        const prior = priorCreation(ctx, args, t.label, type, material);
        if (prior.keys) {
          material.fill(0); // the retry's copy: the stored key keeps its own
          return { key: describe(node, prior.keys[0]!) };
        }
        rec = baseKey(ctx, t, type, 'secret', material.length * 8, material, withRequest(prior.requestId));
      } else {
        let ko: KeyObject;
        try {
          ko = format === 'pkcs8' ? mech.privateKeyFromDer(material) : mech.publicKeyFromDer(material);
        } catch {
          throw invalid(`material is not a ${format} DER key`);
        }
        const d = mech.describeAsymmetric(ko);
        const klass = format === 'pkcs8' ? 'private' : 'public';
        t = template(node, args, d.type, klass);
        const prior = priorCreation(ctx, args, t.label, d.type, material);
        if (prior.keys) {
          material.fill(0); // the retry's copy: the stored key keeps its own
          return { key: describe(node, prior.keys.find((k) => k.class === klass) ?? prior.keys[0]!) };
        }
        rec = baseKey(ctx, t, d.type, klass, d.bits, material, { ...(d.curve ? { curve: d.curve } : {}), ...withRequest(prior.requestId) });
      }
      rec.attrs.local = false;
      rec.attrs.neverExtractable = false;
      await storeKeys(ctx, [rec]);
      return { key: describe(node, rec) };
    },
  },
  'key.find': {
    access: 'login',
    fn: (ctx, args) => {
      const { node, session: s } = ctx;
      const label = a.optStr(args, 'label', 256);
      const handle = a.optStr(args, 'handle', 64);
      const klass = a.optStr(args, 'class', 16);
      const type = a.optStr(args, 'type', 32);
      const includeShared = a.optBool(args, 'includeShared') ?? false;
      const attrs = a.map(args, 'attributes');
      const found: KeyObjectRecord[] = [];
      const all = [...Object.values(node.objects()), ...node.sessionKeyStore.values()];
      for (const o of all) {
        if (o.kind !== 'key' || o.deleted) continue;
        // Crypto users see their own keys, and keys shared with them only when they ask for those.
        if (s.role === 'crypto-user' && !ownedBy(o, s) && !(includeShared && sharedWith(o, s))) continue;
        if (!o.attrs.token && !ctx.conn.sessionKeys.has(o.handle)) continue;
        if (label !== undefined && o.label !== label) continue;
        if (handle !== undefined && o.handle !== handle) continue;
        if (klass !== undefined && o.class !== klass) continue;
        if (type !== undefined && o.type !== type) continue;
        if (Object.entries(attrs).some(([k, v]) => (o.attrs as unknown as Record<string, unknown>)[k] !== v)) continue;
        found.push(o);
      }
      // Oldest first (then by handle): every node that holds the same keys answers the same first key.
      found.sort((x, y) => x.createdAt - y.createdAt || (x.handle < y.handle ? -1 : x.handle > y.handle ? 1 : 0));
      return found.slice(0, 1000).map((o) => describe(node, o));
    },
  },
  'key.getAttributes': {
    access: 'login',
    fn: (ctx, args) => {
      const handle = a.str(args, 'handle', 64);
      return describe(ctx.node, ctx.session.role === 'admin' ? ctx.node.getKey(handle) : mustUse(ctx, handle));
    },
  },
  'key.setAttributes': {
    access: 'login',
    durable: true,
    fn: async (ctx, args) => {
      const { node, session: s } = ctx;
      const handle = a.str(args, 'handle', 64);
      const changes = a.map(args, 'attributes');
      const k = s.role === 'admin' ? node.getKey(handle) : mustManage(ctx, handle);
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
      next.version = node.nextVersion(k.version);
      if (changes.token === true && !k.attrs.token) {
        next.attrs.token = true;
        node.sessionKeyStore.delete(handle);
        ctx.conn.sessionKeys.delete(handle);
      }
      await saveKey(node, next);
      return describe(node, next);
    },
  },
  'key.delete': {
    access: 'crypto',
    durable: true,
    fn: async (ctx, args) => {
      const { node } = ctx;
      const handle = a.str(args, 'handle', 64);
      const k = mustManage(ctx, handle);
      if (!k.attrs.token) {
        node.sessionKeyStore.delete(handle);
        ctx.conn.sessionKeys.delete(handle);
        k.material.fill(0);
        return true as const;
      }
      node.put({ ...k, deleted: true, material: Buffer.alloc(0), sharedWith: [], version: node.nextVersion(k.version) });
      k.material.fill(0);
      await node.persist();
      return true as const;
    },
  },
  'key.share': { access: 'crypto', durable: true, fn: (ctx, args) => shareOp(ctx, args, true) },
  'key.unshare': { access: 'crypto', durable: true, fn: (ctx, args) => shareOp(ctx, args, false) },
} satisfies OpTable<'key.generate' | 'key.import' | 'key.find' | 'key.getAttributes' | 'key.setAttributes' | 'key.delete' | 'key.share' | 'key.unshare'>;
