/**
 * Keys leaving and entering the HSM: export (public keys, extractable keys), wrap and unwrap with
 * AES key wrap (RFC 3394 / RFC 5649), AES-GCM (CKM_CLOUDHSM_AES_GCM layout IV ‖ ciphertext ‖ tag) or
 * RSA-OAEP (RFC 8017). Non-extractable keys never leave; CKA_WRAP_WITH_TRUSTED keys leave only
 * wrapped by a trusted key. CloudHSM:
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-keys-chsm-cli.html
 */
import type { KeyObject } from 'node:crypto';
import type { WrapMechanism } from '@strongroom/hsm-protocol';
import * as a from '../args';
import { mustManage, mustUse, type NodeContext } from '../context';
import { denied, invalid } from '../errors';
import { baseKey, describe, priorCreation, privateKey, publicKey, secret, storeKeys, template, withRequest } from '../key-records';
import * as mech from '../mechanisms';
import type { KeyObjectRecord } from '../state';
import type { OpTable } from './table';

const WRAP_MECHS = ['aes-kw', 'aes-kwp', 'aes-gcm', 'rsa-oaep-sha1', 'rsa-oaep-sha256', 'rsa-oaep-sha384', 'rsa-oaep-sha512'] as const satisfies readonly WrapMechanism[];

function wrapBytes(node: NodeContext, wk: KeyObjectRecord, m: WrapMechanism, material: Buffer): Buffer {
  if (m === 'aes-kw' || m === 'aes-kwp') return mech.aesKeyWrap(secret(wk, 'aes'), material, m === 'aes-kwp');
  if (m === 'aes-gcm') {
    const r = mech.aesGcmEncrypt(secret(wk, 'aes'), material, Buffer.alloc(0));
    return Buffer.concat([r.iv, r.ciphertext, r.tag]); // CKM_CLOUDHSM_AES_GCM layout: IV ‖ ct ‖ tag
  }
  if (wk.type !== 'rsa') throw invalid('RSA-OAEP wrap needs an RSA key');
  return mech.rsaOaepEncrypt(publicKey(node, wk), m.slice('rsa-oaep-'.length) as mech.Hash, material);
}

function unwrapBytes(node: NodeContext, uk: KeyObjectRecord, m: WrapMechanism, wrapped: Buffer): Buffer {
  if (m === 'aes-kw' || m === 'aes-kwp') return mech.aesKeyUnwrap(secret(uk, 'aes'), wrapped, m === 'aes-kwp');
  if (m === 'aes-gcm') {
    if (wrapped.length < 28) throw invalid('aes-gcm wrapped key too short');
    return mech.aesGcmDecrypt(secret(uk, 'aes'), wrapped.subarray(0, 12), wrapped.subarray(12, wrapped.length - 16), wrapped.subarray(wrapped.length - 16), Buffer.alloc(0));
  }
  if (uk.type !== 'rsa') throw invalid('RSA-OAEP unwrap needs an RSA key');
  return mech.rsaOaepDecrypt(privateKey(node, uk), m.slice('rsa-oaep-'.length) as mech.Hash, wrapped);
}

export const wrapOps = {
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
      // Wrapping a key out is exporting it: the owner's right only, never a user it is shared with for use.
      const target = mustManage(ctx, a.str(args, 'handle', 64));
      if (target.class === 'public') throw invalid('public keys are exported, not wrapped');
      if (!target.attrs.extractable) throw denied(`key ${target.handle} is not extractable`, 'KEY_UNEXTRACTABLE');
      if (target.attrs.wrapWithTrusted && !wk.attrs.trusted) throw denied(`key ${target.handle} can only be wrapped by a trusted key`, 'KEY_NOT_WRAPPABLE');
      return { wrapped: wrapBytes(ctx.node, wk, mechanism, target.material) };
    },
  },
  'key.unwrap': {
    access: 'crypto',
    durable: true,
    cls: 'symmetric',
    fn: async (ctx, args) => {
      const { node } = ctx;
      const mechanism = a.oneOf(args, 'mechanism', WRAP_MECHS);
      const uk = mustUse(ctx, a.str(args, 'unwrappingHandle', 64), 'unwrap');
      const type = a.oneOf(args, 'keyType', ['aes', 'generic-secret', 'rsa', 'ec'] as const);
      const material = unwrapBytes(node, uk, mechanism, a.bytes(args, 'wrapped', 16384));
      let rec: KeyObjectRecord;
      if (type === 'aes' || type === 'generic-secret') {
        if (type === 'aes' && ![16, 24, 32].includes(material.length)) throw invalid('unwrapped AES key must be 16, 24 or 32 bytes');
        const t = template(node, args, type, 'secret');
        const prior = priorCreation(ctx, args, t.label, type, material);
        if (prior.keys) {
          material.fill(0); // the retry's copy: the stored key keeps its own
          return { key: describe(node, prior.keys[0]!) };
        }
        rec = baseKey(ctx, t, type, 'secret', material.length * 8, material, withRequest(prior.requestId));
      } else {
        let ko: KeyObject;
        try {
          ko = mech.privateKeyFromDer(material);
        } catch {
          throw invalid('unwrapped bytes are not a PKCS#8 private key');
        }
        const d = mech.describeAsymmetric(ko);
        if (d.type !== type) throw invalid(`unwrapped key is ${d.type}, not ${type}`);
        const t = template(node, args, type, 'private');
        const prior = priorCreation(ctx, args, t.label, type, material);
        if (prior.keys) {
          material.fill(0); // the retry's copy: the stored key keeps its own
          return { key: describe(node, prior.keys.find((k) => k.class === 'private') ?? prior.keys[0]!) };
        }
        rec = baseKey(ctx, t, type, 'private', d.bits, material, { ...(d.curve ? { curve: d.curve } : {}), ...withRequest(prior.requestId) });
      }
      rec.attrs.local = false;
      rec.attrs.neverExtractable = false;
      await storeKeys(ctx, [rec]);
      return { key: describe(node, rec) };
    },
  },
} satisfies OpTable<'key.export' | 'key.wrap' | 'key.unwrap'>;
