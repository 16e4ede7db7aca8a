/**
 * Where a symmetric KMS key's material lives. The KMS layer never touches AES keys directly: it
 * asks a `KeyMaterialStore` to create a backing key (one per rotation version) and to run
 * AES-256-GCM under it. The default store keeps the material in-process, sealed at rest under the
 * server master key; a custom key store backed by an HSM cluster implements the same interface by
 * delegating to provider-hsm's `HsmBackend` (`aesGcmEncrypt`/`aesGcmDecrypt`), with the handle
 * being the HSM key label (KMS labels a CloudHSM key store's key with its ARN:
 * https://docs.aws.amazon.com/kms/latest/developerguide/find-key-material.html).
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { KmsError } from './errors';
import type { Sealer } from './seal';

/** IV, ciphertext and tag of one AES-GCM encryption. */
export interface GcmParts {
  readonly iv: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
}

/**
 * Where symmetric key material lives and runs: in-process (sealed at rest) or in an HSM cluster (custom key stores).
 */
export interface KeyMaterialStore {
  /** Stable name, e.g. `local` or a custom key store id. */
  readonly kind: string;
  /**
   * Create a new 256-bit AES backing key for `keyId` at `version` and return an opaque,
   * JSON-safe handle that the KMS layer persists with the key's metadata.
   */
  createSymmetricKey(keyId: string, version: number): Promise<string>;
  /**
   * Optional: take given 256-bit AES key material (a seed file's `material`) as the backing key of
   * `keyId` at `version` and return its handle, as createSymmetricKey does. The caller zeroes
   * `material` afterwards; the store keeps no reference to it.
   */
  importSymmetricKey?(keyId: string, version: number, material: Uint8Array): Promise<string>;
  /** AES-256-GCM with a 12-byte IV chosen by the store, 16-byte tag. */
  encrypt(handle: string, plaintext: Uint8Array, aad: Uint8Array): Promise<GcmParts>;
  /** @throws when the tag does not verify (mapped to InvalidCiphertextException by the caller). */
  decrypt(handle: string, parts: GcmParts, aad: Uint8Array): Promise<Uint8Array>;
  /** Destroy the backing key (after the deletion window). Best effort. */
  destroySymmetricKey(handle: string): Promise<void>;
}

/**
 * The default, in-process store: the handle is the backing key sealed under the master key, so
 * the store itself holds no state beyond a cache of unsealed keys.
 */
export function createLocalKeyMaterialStore(sealer: Sealer): KeyMaterialStore {
  const cache = new Map<string, KeyObject>();
  const label = (keyId: string, version: number) => `kms-local/backing-key/${keyId}/${version}`;
  const keyFor = (handle: string): KeyObject => {
    let key = cache.get(handle);
    if (!key) {
      const sep = handle.indexOf(':');
      if (sep < 0) throw new KmsError('KMSInternalException', 'Malformed key material handle.');
      const raw = sealer.unseal(handle.slice(sep + 1), handle.slice(0, sep));
      key = createSecretKey(raw);
      raw.fill(0);
      cache.set(handle, key);
    }
    return key;
  };
  return {
    kind: 'local',
    async createSymmetricKey(keyId, version) {
      const raw = randomBytes(32);
      const l = label(keyId, version);
      const handle = `${l}:${sealer.seal(raw, l)}`;
      raw.fill(0);
      return handle;
    },
    async importSymmetricKey(keyId, version, material) {
      if (material.length !== 32) throw new RangeError('material: expected 32 bytes');
      const l = label(keyId, version);
      return `${l}:${sealer.seal(material, l)}`;
    },
    async encrypt(handle, plaintext, aad) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', keyFor(handle), iv);
      c.setAAD(aad);
      const ciphertext = Buffer.concat([c.update(plaintext), c.final()]);
      return { iv, ciphertext, tag: c.getAuthTag() };
    },
    async decrypt(handle, parts, aad) {
      const d = createDecipheriv('aes-256-gcm', keyFor(handle), parts.iv);
      d.setAAD(aad);
      d.setAuthTag(parts.tag);
      return Buffer.concat([d.update(parts.ciphertext), d.final()]);
    },
    async destroySymmetricKey(handle) {
      cache.delete(handle);
    },
  };
}
