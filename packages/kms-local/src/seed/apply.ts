/**
 * Seeding a data directory: make the keys and aliases of a validated seed exist, with their fixed
 * ids, without ever changing key material that is already there (docs/kms-local.md, "Seed file").
 *
 *  - A key that does not exist is created as CreateKey would (AWS KMS API Reference: CreateKey), with
 *    the seed's id; a SYMMETRIC_DEFAULT key with `material` gets exactly that AES-256 key as its first
 *    backing key; other keys get fresh material.
 *  - A key that exists must be the same key: same spec, usage and (when the seed gives material) the
 *    same material — checked by asking the store to open an AES-GCM message sealed under the seed's
 *    material, so no key bytes are compared or copied. Otherwise the seed is refused with a typed
 *    error and nothing is changed. Its mutable settings (state, description, tags) are the data
 *    directory's: they are kept, and a difference is logged.
 *  - An alias that exists must already point at the seed's key; a missing one is created.
 *
 * Every check runs before the first change, and the changes are committed once: a refused or failed
 * seed leaves the data directory as it was; the same seed twice changes nothing.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { StrongroomError } from '@strongroom/core';
import type { KmsContext } from '../context';
import { dict } from '../dict';
import { HMAC_KEY_BYTES, type KeyRecord } from '../model';
import { generateDerKeyPair } from '../ops/lifecycle';
import { seedError, type KmsSeed, type SeedKey } from './parse';

const DAY = 86_400_000;

/** What seeding changed: the keys and aliases created, and those already present unchanged. */
export interface SeedOutcome {
  /** Key ids created by this seeding. */
  readonly createdKeys: readonly string[];
  /** Alias names created by this seeding. */
  readonly createdAliases: readonly string[];
}

/** Whether the store's backing key `handle` is the AES-256 key `material` (a sealed probe it must open). */
async function sameMaterial(ctx: KmsContext, handle: string, material: Uint8Array): Promise<boolean> {
  const iv = randomBytes(12);
  const aad = Buffer.from('kms-local/seed-material-check', 'utf8');
  const probe = randomBytes(32);
  const c = createCipheriv('aes-256-gcm', material, iv);
  c.setAAD(aad);
  const ciphertext = Buffer.concat([c.update(probe), c.final()]);
  try {
    const opened = await ctx.materialStore.decrypt(handle, { iv, ciphertext, tag: c.getAuthTag() }, aad);
    return Buffer.from(opened).equals(probe);
  } catch {
    return false;
  }
}

function tagsEqual(a: Record<string, string>, b: ReadonlyMap<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === b.size && keys.every((k) => b.has(k) && b.get(k) === a[k]);
}

/** Check an existing key against its seed entry; returns notes about kept mutable settings. */
async function checkExisting(ctx: KmsContext, seed: KmsSeed, dataDir: string, key: SeedKey, existing: KeyRecord): Promise<string[]> {
  const conflict = (what: string) =>
    seedError(
      seed.source,
      key.path,
      'conflict',
      `key ${key.keyId} already exists in ${dataDir} ${what}. kms-local never changes an existing key from a seed: fix the seed, or seed an empty data directory.`,
      'INVALID_ARGUMENT',
    );
  if (existing.Origin === 'AWS_CLOUDHSM') throw conflict('in a custom key store');
  if (existing.KeySpec !== key.spec) throw conflict(`with KeySpec ${existing.KeySpec}, but the seed says ${key.spec}`);
  if (existing.KeyUsage !== key.usage) throw conflict(`with KeyUsage ${existing.KeyUsage}, but the seed says ${key.usage}`);
  if (key.material !== undefined) {
    const first = existing.backing?.find((b) => b.version === 1);
    if (!first || !(await sameMaterial(ctx, first.handle, key.material))) throw conflict('with different key material');
  }
  const notes: string[] = [];
  if (existing.KeyState !== key.state) notes.push(`state ${existing.KeyState} (seed: ${key.state})`);
  if (existing.Description !== key.description) notes.push('description');
  if (!tagsEqual(existing.tags, key.tags)) notes.push('tags');
  return notes;
}

async function newKey(ctx: KmsContext, key: SeedKey): Promise<KeyRecord> {
  const now = ctx.now();
  const tags = dict<string>();
  for (const [k, v] of key.tags) tags[k] = v;
  const record: KeyRecord = {
    KeyId: key.keyId,
    CreationDate: now,
    Description: key.description,
    KeyUsage: key.usage,
    KeySpec: key.spec,
    KeyState: key.state,
    MultiRegion: key.keyId.startsWith('mrk-'),
    tags,
  };
  if (key.state === 'PendingDeletion') {
    const days = key.pendingWindowInDays ?? 30;
    record.DeletionDate = now + days * DAY;
    record.PendingDeletionWindowInDays = days;
  }
  if (key.spec === 'SYMMETRIC_DEFAULT') {
    let handle: string;
    if (key.material !== undefined) {
      const store = ctx.materialStore;
      if (!store.importSymmetricKey) {
        throw new StrongroomError('UNSUPPORTED', `kms-local seed: ${key.path}: the configured key material store (${store.kind}) cannot import key material; drop material or use the default store`);
      }
      handle = await store.importSymmetricKey(key.keyId, 1, key.material);
    } else {
      handle = await ctx.materialStore.createSymmetricKey(key.keyId, 1);
    }
    record.backing = [{ version: 1, handle, created: now }];
  } else if (key.spec.startsWith('HMAC_')) {
    const raw = randomBytes(HMAC_KEY_BYTES[key.spec]!);
    record.hmacKey = ctx.sealer.seal(raw, `kms-local/hmac/${key.keyId}`);
    raw.fill(0);
  } else {
    const pair = await generateDerKeyPair(key.spec);
    record.privateKey = ctx.sealer.seal(pair.privateKey, `kms-local/private/${key.keyId}`);
    record.publicKey = pair.publicKey.toString('base64');
    pair.privateKey.fill(0);
  }
  return record;
}

/**
 * Apply `seed` to the server state behind `ctx` (its account and Region must be the seed's).
 * @param dataDir for messages
 * @param log one line per kept difference
 * @throws StrongroomError INVALID_ARGUMENT (conflict with the data directory, nothing changed),
 *   UNSUPPORTED, IO_ERROR (the change could not be made durable, nothing changed)
 */
export async function applySeed(ctx: KmsContext, seed: KmsSeed, dataDir: string, log: (line: string) => void): Promise<SeedOutcome> {
  try {
    if (ctx.accountId !== seed.account || ctx.region !== seed.region) {
      throw seedError(seed.source, '', 'arn-mismatch', `the seed is for account ${seed.account} in ${seed.region}, the server for ${ctx.accountId} in ${ctx.region}`, 'INVALID_ARGUMENT');
    }
    const toCreate: SeedKey[] = [];
    const aliasesToCreate: Array<[string, string]> = [];
    for (const key of seed.keys) {
      const existing = Object.hasOwn(ctx.state.keys, key.keyId) ? ctx.state.keys[key.keyId] : undefined;
      if (existing) {
        const notes = await checkExisting(ctx, seed, dataDir, key, existing);
        if (notes.length > 0) log(`kms-local seed ${seed.source}: ${key.path}: key ${key.keyId} exists; kept the data directory's ${notes.join(', ')}`);
      } else {
        toCreate.push(key);
      }
      for (const [i, name] of key.aliases.entries()) {
        const alias = Object.hasOwn(ctx.state.aliases, name) ? ctx.state.aliases[name] : undefined;
        if (alias === undefined) aliasesToCreate.push([name, key.keyId]);
        else if (alias.TargetKeyId !== key.keyId) {
          throw seedError(
            seed.source,
            `${key.path}.aliases[${i}]`,
            'conflict',
            `${name} already exists in ${dataDir} and points at key ${alias.TargetKeyId}, not ${key.keyId}. Fix the seed, or seed an empty data directory.`,
            'INVALID_ARGUMENT',
          );
        }
      }
    }
    if (toCreate.length === 0 && aliasesToCreate.length === 0) return { createdKeys: [], createdAliases: [] };
    // Build every record first (key generation can fail), then change the state in one step.
    const records = [];
    for (const key of toCreate) records.push(await newKey(ctx, key));
    const now = ctx.now();
    for (const record of records) ctx.state.keys[record.KeyId] = record;
    for (const [name, target] of aliasesToCreate) ctx.state.aliases[name] = { TargetKeyId: target, CreationDate: now, LastUpdatedDate: now };
    try {
      await ctx.commit();
    } catch (e) {
      // The state store has rolled the state back; nothing of the seed is visible.
      throw new StrongroomError('IO_ERROR', `kms-local seed ${seed.source}: could not persist the seeded keys in ${dataDir}: ${(e as Error).message}`, { cause: e });
    }
    return { createdKeys: records.map((r) => r.KeyId), createdAliases: aliasesToCreate.map(([n]) => n) };
  } finally {
    for (const key of seed.keys) key.material?.fill(0);
  }
}
