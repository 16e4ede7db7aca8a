/**
 * The persisted state of kms-local and the KMS vocabulary it uses
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html): key specs,
 * usages, algorithms per spec, key states, and the KeyMetadata shape returned to clients.
 */
import { dict, dictFrom } from './dict';
import { epochSeconds } from './input';

export const KEY_SPECS = [
  'SYMMETRIC_DEFAULT',
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'HMAC_256',
  'HMAC_384',
  'HMAC_512',
] as const;
export type KeySpec = (typeof KEY_SPECS)[number];
export const KEY_USAGES = ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC'] as const;
export type KeyUsage = (typeof KEY_USAGES)[number];
export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';
/** Where a key's material came from (CreateKey's `Origin`): kms-local itself, or a CloudHSM key store. */
export type KeyOrigin = 'AWS_KMS' | 'AWS_CLOUDHSM';

export interface BackingKey {
  readonly version: number;
  /** Opaque handle from the KeyMaterialStore. */
  readonly handle: string;
  readonly created: number;
  readonly rotationType?: 'AUTOMATIC' | 'ON_DEMAND';
}

export interface KeyRecord {
  KeyId: string;
  CreationDate: number;
  Description: string;
  KeyUsage: KeyUsage;
  KeySpec: KeySpec;
  KeyState: KeyState;
  MultiRegion: boolean;
  DeletionDate?: number | undefined;
  PendingDeletionWindowInDays?: number | undefined;
  /** Symmetric keys: backing keys, newest last. */
  backing?: BackingKey[];
  rotation?: { enabled: boolean; periodDays: number; enabledAt: number } | undefined;
  /** Asymmetric: sealed PKCS#8 DER private key, and the SPKI DER public key (base64). */
  privateKey?: string;
  publicKey?: string;
  /** HMAC: sealed key bytes. */
  hmacKey?: string;
  /** Tag key → value; a null-prototype dictionary (dict.ts). */
  tags: Record<string, string>;
  /** Absent means AWS_KMS. */
  Origin?: KeyOrigin | undefined;
  /** Keys in a custom key store (Origin AWS_CLOUDHSM). */
  CustomKeyStoreId?: string | undefined;
}

/** A CloudHSM-type custom key store (docs/custom-key-stores.md); connection state is runtime, not persisted. */
export interface CustomKeyStoreRecord {
  CustomKeyStoreId: string;
  CustomKeyStoreName: string;
  CloudHsmClusterId: string;
  /** PEM, as given to CreateCustomKeyStore. */
  TrustAnchorCertificate: string;
  /** The kmsuser password, sealed under the master key (label `kms-local/cks-password/<id>`). */
  sealedPassword: string;
  CreationDate: number;
}

export interface AliasRecord {
  TargetKeyId: string;
  CreationDate: number;
  LastUpdatedDate: number;
}

/** The server state. Every map is a null-prototype dictionary keyed by caller-visible ids (dict.ts). */
export interface KmsState {
  formatVersion: 1;
  keys: Record<string, KeyRecord>;
  aliases: Record<string, AliasRecord>;
  /** Added with custom key stores; absent in older state files (read as empty). */
  customKeyStores: Record<string, CustomKeyStoreRecord>;
}

export const emptyState = (): KmsState => ({ formatVersion: 1, keys: dict(), aliases: dict(), customKeyStores: dict() });

/** A key record read back from JSON: its tags become a null-prototype dictionary again. */
export function reviveKey(value: unknown): KeyRecord {
  const key = { ...(value as KeyRecord) };
  key.tags = dictFrom<string>(key.tags);
  return key;
}

/**
 * The state as parsed from JSON, copied into null-prototype dictionaries, so ids such as
 * `__proto__` are ordinary entries after a reload too.
 * @throws Error when the document is not a state of a known format.
 */
export function reviveState(doc: unknown): KmsState {
  const d = (typeof doc === 'object' && doc !== null ? doc : {}) as Partial<Record<keyof KmsState, unknown>>;
  if (d.formatVersion !== 1) throw new Error(`unsupported state format ${String(d.formatVersion)}`);
  return {
    formatVersion: 1,
    keys: dictFrom(d.keys, reviveKey),
    aliases: dictFrom(d.aliases, (a) => ({ ...(a as AliasRecord) })),
    customKeyStores: dictFrom(d.customKeyStores, (s) => ({ ...(s as CustomKeyStoreRecord) })),
  };
}

export const SIGNING_ALGORITHMS: Partial<Record<KeySpec, readonly string[]>> = {
  RSA_2048: rsaSigning(),
  RSA_3072: rsaSigning(),
  RSA_4096: rsaSigning(),
  ECC_NIST_P256: ['ECDSA_SHA_256'],
  ECC_NIST_P384: ['ECDSA_SHA_384'],
};
function rsaSigning() {
  return ['RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512', 'RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512'];
}
export const MAC_ALGORITHM: Partial<Record<KeySpec, string>> = {
  HMAC_256: 'HMAC_SHA_256',
  HMAC_384: 'HMAC_SHA_384',
  HMAC_512: 'HMAC_SHA_512',
};
export const HMAC_KEY_BYTES: Partial<Record<KeySpec, number>> = { HMAC_256: 32, HMAC_384: 48, HMAC_512: 64 };

export function isRsa(spec: KeySpec): boolean {
  return spec.startsWith('RSA_');
}

/** The usages KMS allows per key spec (first = default). */
export function allowedUsages(spec: KeySpec): readonly KeyUsage[] {
  if (spec === 'SYMMETRIC_DEFAULT') return ['ENCRYPT_DECRYPT'];
  if (isRsa(spec)) return ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'];
  if (spec.startsWith('ECC_')) return ['SIGN_VERIFY'];
  return ['GENERATE_VERIFY_MAC'];
}

export function encryptionAlgorithms(key: KeyRecord): string[] | undefined {
  if (key.KeyUsage !== 'ENCRYPT_DECRYPT') return undefined;
  return key.KeySpec === 'SYMMETRIC_DEFAULT' ? ['SYMMETRIC_DEFAULT'] : ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'];
}

/**
 * KeyMetadata as KMS returns it. `unavailable`: the key's custom key store is not connected, so
 * KMS reports `KeyState: Unavailable` (https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html).
 */
export function keyMetadata(key: KeyRecord, arn: string, accountId: string, region: string, store?: { unavailable: boolean; clusterId: string | undefined }) {
  const unavailable = store?.unavailable === true;
  return {
    AWSAccountId: accountId,
    KeyId: key.KeyId,
    Arn: arn,
    CreationDate: epochSeconds(key.CreationDate),
    Enabled: key.KeyState === 'Enabled',
    Description: key.Description,
    KeyUsage: key.KeyUsage,
    KeyState: unavailable && key.KeyState !== 'PendingDeletion' ? 'Unavailable' : key.KeyState,
    ...(key.DeletionDate !== undefined && { DeletionDate: epochSeconds(key.DeletionDate) }),
    ...(key.PendingDeletionWindowInDays !== undefined && { PendingDeletionWindowInDays: key.PendingDeletionWindowInDays }),
    Origin: key.Origin ?? 'AWS_KMS',
    ...(key.CustomKeyStoreId !== undefined && { CustomKeyStoreId: key.CustomKeyStoreId }),
    ...(store?.clusterId !== undefined && { CloudHsmClusterId: store.clusterId }),
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: key.KeySpec,
    KeySpec: key.KeySpec,
    ...(encryptionAlgorithms(key) && { EncryptionAlgorithms: encryptionAlgorithms(key) }),
    ...(key.KeyUsage === 'SIGN_VERIFY' && { SigningAlgorithms: SIGNING_ALGORITHMS[key.KeySpec] }),
    ...(key.KeyUsage === 'GENERATE_VERIFY_MAC' && { MacAlgorithms: [MAC_ALGORITHM[key.KeySpec]] }),
    MultiRegion: key.MultiRegion,
    ...(key.MultiRegion && {
      MultiRegionConfiguration: { MultiRegionKeyType: 'PRIMARY', PrimaryKey: { Arn: arn, Region: region }, ReplicaKeys: [] },
    }),
    ...(key.backing && { CurrentKeyMaterialId: String(key.backing[key.backing.length - 1]!.version) }),
  };
}
