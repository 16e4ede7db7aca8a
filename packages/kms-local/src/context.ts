/**
 * Shared machinery of the KMS operations: key lookup by id / ARN / alias, state checks that
 * produce the errors KMS uses (DisabledException, KMSInvalidStateException, NotFoundException),
 * and the mutation path that persists state before a response is sent.
 */
import { disabled, invalidArn, invalidKeyUsage, invalidState, notFound } from './errors';
import type { CustomKeyStoreConnections } from './custom-key-store/connections';
import type { KeyMaterialStore } from './key-material';
import type { KeyRecord, KeyUsage, KmsState } from './model';
import type { Sealer } from './seal';

export interface KmsContext {
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly state: KmsState;
  readonly materialStore: KeyMaterialStore;
  readonly sealer: Sealer;
  /** Custom key stores: registered clusters and runtime connections. */
  readonly customKeyStores: CustomKeyStoreConnections;
  now(): number;
  keyArn(keyId: string): string;
  aliasArn(alias: string): string;
  /** Resolve a key id, key ARN, alias name or alias ARN. @throws NotFoundException / InvalidArnException */
  resolve(id: string): KeyRecord;
  /** Resolve and check the key is Enabled and of `usage`. */
  usable(id: string, usage: KeyUsage): KeyRecord;
  /** Check the key's state allows a cryptographic operation. */
  checkUsable(key: KeyRecord): void;
  /** Persist the state (after a mutation); resolves once durable. */
  commit(): Promise<void>;
}

const ARN = /^arn:([a-z-]+):kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/;

export function createContext(options: {
  region: string;
  accountId: string;
  partition?: string;
  state: KmsState;
  materialStore: KeyMaterialStore;
  sealer: Sealer;
  customKeyStores: CustomKeyStoreConnections;
  now: () => number;
  save: (state: KmsState) => Promise<void>;
}): KmsContext {
  const { region, accountId, state } = options;
  const partition = options.partition ?? 'aws';
  const prefix = `arn:${partition}:kms:${region}:${accountId}:`;

  function purgeExpired(): boolean {
    const t = options.now();
    let changed = false;
    for (const key of Object.values(state.keys)) {
      if (key.KeyState === 'PendingDeletion' && key.DeletionDate !== undefined && key.DeletionDate <= t) {
        for (const b of key.backing ?? []) void options.materialStore.destroySymmetricKey(b.handle).catch(() => {});
        delete state.keys[key.KeyId];
        for (const [name, alias] of Object.entries(state.aliases)) if (alias.TargetKeyId === key.KeyId) delete state.aliases[name];
        changed = true;
      }
    }
    return changed;
  }

  function lookupKey(keyId: string, original: string): KeyRecord {
    const key = state.keys[keyId];
    if (!key || (key.KeyState === 'PendingDeletion' && key.DeletionDate !== undefined && key.DeletionDate <= options.now())) {
      throw notFound(`Key '${original.startsWith('arn:') ? original : prefix + 'key/' + keyId}' does not exist`);
    }
    return key;
  }

  const ctx: KmsContext = {
    region,
    accountId,
    partition,
    state,
    materialStore: options.materialStore,
    sealer: options.sealer,
    customKeyStores: options.customKeyStores,
    now: options.now,
    keyArn: (keyId) => `${prefix}key/${keyId}`,
    aliasArn: (alias) => `${prefix}${alias}`,
    resolve(id) {
      if (id.startsWith('arn:')) {
        const m = ARN.exec(id);
        if (!m) throw invalidArn(`Invalid arn ${id}`);
        if (m[1] !== partition || m[2] !== region || m[3] !== accountId) throw notFound(`Invalid arn ${id}`);
        if (m[4] === 'alias') return ctx.resolve(`alias/${m[5]}`);
        return lookupKey(m[5]!, id);
      }
      if (id.startsWith('alias/')) {
        const alias = state.aliases[id];
        if (!alias) throw notFound(`Alias ${prefix}${id} is not found.`);
        return lookupKey(alias.TargetKeyId, id);
      }
      return lookupKey(id, id);
    },
    usable(id, usage) {
      const key = ctx.resolve(id);
      ctx.checkUsable(key);
      if (key.KeyUsage !== usage) {
        throw invalidKeyUsage(`${ctx.keyArn(key.KeyId)} key usage is ${key.KeyUsage} which is not valid for this operation.`);
      }
      return key;
    },
    checkUsable(key) {
      if (key.KeyState === 'Disabled') throw disabled(`${ctx.keyArn(key.KeyId)} is disabled.`);
      if (key.KeyState === 'PendingDeletion') throw invalidState(`${ctx.keyArn(key.KeyId)} is pending deletion.`);
      if (key.CustomKeyStoreId !== undefined && options.customKeyStores.get(key.CustomKeyStoreId).state !== 'CONNECTED') {
        // As KMS (docs/custom-key-stores.md): keys of a disconnected store are Unavailable; crypto fails with KMSInvalidStateException.
        throw invalidState(`${ctx.keyArn(key.KeyId)} is unavailable: its custom key store ${key.CustomKeyStoreId} is not connected.`);
      }
    },
    commit() {
      purgeExpired();
      return options.save(state);
    },
  };
  purgeExpired();
  return ctx;
}
