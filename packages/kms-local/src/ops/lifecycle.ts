/**
 * Key lifecycle operations (https://docs.aws.amazon.com/kms/latest/APIReference/API_Operations.html): CreateKey, DescribeKey, ListKeys, UpdateKeyDescription,
 * Enable/DisableKey, Schedule/CancelKeyDeletion and tags (aliases: ./aliases.ts, rotation: ./rotation.ts).
 * Mutations persist (ctx.commit) before they answer.
 */
import { generateKeyPair as generateKeyPairCb, randomBytes, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { KmsContext } from '../context';
import { StrongroomError } from '@strongroom/core';
import { customStoreHandle, unreachable } from '../custom-key-store/material';
import {
  clusterInvalidConfiguration, customKeyStoreInvalidState, invalidMarker, invalidState, KmsError, tagError, unsupported, validation,
} from '../errors';
import { dict } from '../dict';
import { findStore, hsmRequirementMessage } from './custom-key-stores';
import { addBackingKey, DAY, mutable, type Op } from './key-state';
import { epochSeconds, optBool, optEnum, optInt, optString, optStringList, reqString, type Input } from '../input';
import { allowedUsages, HMAC_KEY_BYTES, KEY_SPECS, KEY_USAGES, keyMetadata, type KeyRecord, type KeySpec } from '../model';

const generateKeyPair = promisify(generateKeyPairCb);

/** Generate an asymmetric key pair as DER (PKCS#8 private, SPKI public). */
export async function generateDerKeyPair(spec: string): Promise<{ privateKey: Buffer; publicKey: Buffer }> {
  const { privateKey, publicKey } = spec.startsWith('RSA_')
    ? await generateKeyPair('rsa', { modulusLength: Number(spec.slice(4)), publicExponent: 65537 })
    : await generateKeyPair('ec', { namedCurve: spec === 'ECC_NIST_P256' ? 'prime256v1' : 'secp384r1' });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'der' }),
    publicKey: publicKey.export({ type: 'spki', format: 'der' }),
  };
}

function readTags(input: Input, name = 'Tags'): Record<string, string> {
  const raw = input[name];
  if (raw === undefined || raw === null) return dict();
  if (!Array.isArray(raw) || raw.length > 50) throw validation(`${name}: expected a list of at most 50 tags`);
  const out = dict<string>();
  for (const t of raw as unknown[]) {
    const k = (t as Record<string, unknown>)?.TagKey;
    const v = (t as Record<string, unknown>)?.TagValue;
    if (typeof k !== 'string' || k.length < 1 || k.length > 128 || typeof v !== 'string' || v.length > 256) {
      throw tagError('Tags must have a TagKey of 1–128 characters and a TagValue of at most 256 characters.');
    }
    if (k.startsWith('aws:')) throw tagError('Tag keys beginning with "aws:" are reserved.');
    out[k] = v;
  }
  return out;
}

/** The shape of every plain key update: resolve KeyId, refuse a key pending deletion, change it, persist. */
async function updateKey(ctx: KmsContext, input: Record<string, unknown>, change: (key: KeyRecord) => void): Promise<Record<string, never>> {
  const key = ctx.resolve(reqString(input, 'KeyId', 2048));
  mutable(ctx, key);
  change(key);
  await ctx.commit();
  return {};
}

/** KeyMetadata, with Unavailable and CloudHsmClusterId for keys in custom key stores. */
export function metadata(ctx: KmsContext, key: KeyRecord) {
  const store = key.CustomKeyStoreId === undefined ? undefined : ctx.state.customKeyStores[key.CustomKeyStoreId];
  return keyMetadata(
    key,
    ctx.keyArn(key.KeyId),
    ctx.accountId,
    ctx.region,
    key.CustomKeyStoreId === undefined
      ? undefined
      : { unavailable: ctx.customKeyStores.get(key.CustomKeyStoreId).state !== 'CONNECTED', clusterId: store?.CloudHsmClusterId },
  );
}

/**
 * CreateKey in a CloudHSM key store (https://docs.aws.amazon.com/kms/latest/developerguide/create-cmk-keystore.html): the store must be CONNECTED and its cluster
 * must have ≥2 active HSMs in different AZs; the key is a 256-bit persistent non-extractable AES
 * key generated in the cluster (owned by kmsuser, replicated by the cluster client) labelled with
 * the key ARN.
 */
async function createCustomStoreKey(ctx: KmsContext, input: Input, storeId: string, spec: KeySpec, usage: KeyRecord['KeyUsage']) {
  const store = findStore(ctx, storeId);
  const conn = ctx.customKeyStores.get(storeId);
  if (conn.state !== 'CONNECTED') throw customKeyStoreInvalidState(`Custom key store ${storeId} is ${conn.state}; CreateKey requires it to be CONNECTED.`);
  const live = ctx.customKeyStores.liveHsms(storeId);
  const problem = hsmRequirementMessage(store.CloudHsmClusterId, live?.active ?? 0, live?.azs ?? 0);
  if (problem) throw clusterInvalidConfiguration(problem);
  const client = ctx.customKeyStores.client(storeId)!;
  const keyId = randomUUID();
  const arn = ctx.keyArn(keyId);
  let ref;
  try {
    ref = await client.generateAesKey({ label: arn, bits: 256, token: true, extractable: false, encrypt: true, decrypt: true });
    // Key availability as CloudHSM SDK 5: a new key must be on ≥2 HSMs before KMS answers.
    const copies = await client.keyReplicaCount(ref);
    if (copies < 2) {
      await client.deleteKey(ref).catch(() => {});
      throw clusterInvalidConfiguration(hsmRequirementMessage(store.CloudHsmClusterId, copies, copies)!);
    }
  } catch (e) {
    if (e instanceof KmsError) throw e;
    if (StrongroomError.isInstance(e, 'KEY_UNAVAILABLE')) throw clusterInvalidConfiguration(`${(e as Error).message} (cluster ${store.CloudHsmClusterId})`);
    throw unreachable(storeId, e);
  }
  const key: KeyRecord = {
    KeyId: keyId,
    CreationDate: ctx.now(),
    Description: optString(input, 'Description', 8192) ?? '',
    KeyUsage: usage,
    KeySpec: spec,
    KeyState: 'Enabled',
    MultiRegion: false,
    tags: readTags(input),
    Origin: 'AWS_CLOUDHSM',
    CustomKeyStoreId: storeId,
    backing: [{ version: 1, handle: customStoreHandle(storeId, ref.handle), created: ctx.now() }],
  };
  ctx.state.keys[keyId] = key;
  try {
    await ctx.commit();
  } catch (e) {
    // Not durable, so not created: remove the key material from the cluster too.
    await client.deleteKey(ref).catch(() => {});
    throw e;
  }
  return { KeyMetadata: metadata(ctx, key) };
}

export const lifecycleOps: Record<string, Op> = {
  async CreateKey(ctx, input) {
    const spec: KeySpec = optEnum(input, 'KeySpec', KEY_SPECS) ?? optEnum(input, 'CustomerMasterKeySpec', KEY_SPECS) ?? 'SYMMETRIC_DEFAULT';
    const usage = optEnum(input, 'KeyUsage', KEY_USAGES) ?? allowedUsages(spec)[0]!;
    if (!allowedUsages(spec).includes(usage)) throw validation(`KeyUsage ${usage} is not compatible with KeySpec ${spec}.`);
    const origin = optEnum(input, 'Origin', ['AWS_KMS', 'AWS_CLOUDHSM', 'EXTERNAL', 'EXTERNAL_KEY_STORE'] as const) ?? 'AWS_KMS';
    const storeIdInput = optString(input, 'CustomKeyStoreId', 64);
    const multiRegion = optBool(input, 'MultiRegion') ?? false;
    if (origin === 'AWS_CLOUDHSM' || storeIdInput !== undefined) {
      if (origin !== 'AWS_CLOUDHSM') throw unsupported('A KMS key in a CloudHSM key store needs Origin AWS_CLOUDHSM.');
      if (storeIdInput === undefined) throw validation('Origin AWS_CLOUDHSM requires a CustomKeyStoreId.');
      if (spec !== 'SYMMETRIC_DEFAULT' || usage !== 'ENCRYPT_DECRYPT' || multiRegion) {
        throw unsupported('Custom key stores support only single-Region symmetric encryption keys (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT).');
      }
      return createCustomStoreKey(ctx, input, storeIdInput, spec, usage);
    }
    if (origin !== 'AWS_KMS') throw unsupported(`Origin ${origin} is not supported by kms-local.`);
    const keyId = multiRegion ? `mrk-${randomBytes(16).toString('hex')}` : randomUUID();
    const key: KeyRecord = {
      KeyId: keyId,
      CreationDate: ctx.now(),
      Description: optString(input, 'Description', 8192) ?? '',
      KeyUsage: usage,
      KeySpec: spec,
      KeyState: 'Enabled',
      MultiRegion: multiRegion,
      tags: readTags(input),
    };
    if (spec === 'SYMMETRIC_DEFAULT') {
      await addBackingKey(ctx, key);
    } else if (spec.startsWith('HMAC_')) {
      const raw = randomBytes(HMAC_KEY_BYTES[spec]!);
      key.hmacKey = ctx.sealer.seal(raw, `kms-local/hmac/${keyId}`);
      raw.fill(0);
    } else {
      const pair = await generateDerKeyPair(spec);
      key.privateKey = ctx.sealer.seal(pair.privateKey, `kms-local/private/${keyId}`);
      key.publicKey = pair.publicKey.toString('base64');
      pair.privateKey.fill(0);
    }
    ctx.state.keys[keyId] = key;
    await ctx.commit();
    return { KeyMetadata: metadata(ctx, key) };
  },

  DescribeKey(ctx, input) {
    const key = ctx.resolve(reqString(input, 'KeyId', 2048));
    return { KeyMetadata: metadata(ctx, key) };
  },

  ListKeys(ctx, input) {
    const limit = optInt(input, 'Limit', 1, 1000) ?? 100;
    const marker = optString(input, 'Marker', 64);
    const start = marker === undefined ? 0 : Number(marker);
    if (!Number.isInteger(start) || start < 0) throw invalidMarker('Invalid marker');
    const all = Object.values(ctx.state.keys).sort((a, b) => a.CreationDate - b.CreationDate || (a.KeyId < b.KeyId ? -1 : 1));
    const page = all.slice(start, start + limit);
    const truncated = start + limit < all.length;
    return {
      Keys: page.map((k) => ({ KeyId: k.KeyId, KeyArn: ctx.keyArn(k.KeyId) })),
      Truncated: truncated,
      ...(truncated && { NextMarker: String(start + limit) }),
    };
  },

  UpdateKeyDescription: (ctx, input) =>
    updateKey(ctx, input, (key) => {
      key.Description = optString(input, 'Description', 8192) ?? '';
    }),

  EnableKey: (ctx, input) =>
    updateKey(ctx, input, (key) => {
      key.KeyState = 'Enabled';
    }),

  DisableKey: (ctx, input) =>
    updateKey(ctx, input, (key) => {
      key.KeyState = 'Disabled';
    }),

  async ScheduleKeyDeletion(ctx, input) {
    const key = ctx.resolve(reqString(input, 'KeyId', 2048));
    mutable(ctx, key);
    const days = optInt(input, 'PendingWindowInDays', 7, 30) ?? 30;
    key.KeyState = 'PendingDeletion';
    key.DeletionDate = ctx.now() + days * DAY;
    key.PendingDeletionWindowInDays = days;
    await ctx.commit();
    return { KeyId: ctx.keyArn(key.KeyId), DeletionDate: epochSeconds(key.DeletionDate), KeyState: key.KeyState, PendingWindowInDays: days };
  },

  async CancelKeyDeletion(ctx, input) {
    const key = ctx.resolve(reqString(input, 'KeyId', 2048));
    if (key.KeyState !== 'PendingDeletion') throw invalidState(`${ctx.keyArn(key.KeyId)} is not pending deletion.`);
    key.KeyState = 'Disabled';
    key.DeletionDate = undefined;
    key.PendingDeletionWindowInDays = undefined;
    await ctx.commit();
    return { KeyId: ctx.keyArn(key.KeyId) };
  },

  TagResource: (ctx, input) =>
    updateKey(ctx, input, (key) => {
      const tags = readTags(input);
      if (Object.keys({ ...key.tags, ...tags }).length > 50) throw tagError('A key can have at most 50 tags.');
      Object.assign(key.tags, tags);
    }),

  UntagResource: (ctx, input) =>
    updateKey(ctx, input, (key) => {
      const keys = optStringList(input, 'TagKeys', 50);
      if (!keys) throw validation('TagKeys: required');
      for (const k of keys) delete key.tags[k];
    }),

  ListResourceTags(ctx, input) {
    const key = ctx.resolve(reqString(input, 'KeyId', 2048));
    return { Tags: Object.entries(key.tags).map(([TagKey, TagValue]) => ({ TagKey, TagValue })), Truncated: false };
  },
};
