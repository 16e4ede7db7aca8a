/**
 * Key material in a CloudHSM-type custom key store
 * (https://docs.aws.amazon.com/kms/latest/developerguide/keystore-cloudhsm.html): a 256-bit, persistent,
 * non-extractable AES key generated inside the hsm-local cluster, owned by `kmsuser`, whose label
 * is the KMS key ARN. AES-256-GCM runs inside the HSM (the HSM picks the IV); the ciphertext blob
 * format and its AAD are the same as for kms-local's own keys.
 *
 * Handles are `cks:<store id>:<hsm key handle>`; `routeMaterialStore` sends them here and every
 * other handle to the default store.
 */
import { StrongroomError } from '@strongroom/core';
import type { HsmKeyRef } from '@strongroom/provider-hsm';
import { KmsError } from '../errors';
import type { KeyMaterialStore } from '../key-material';
import type { CustomKeyStoreConnections } from './connections';

const PREFIX = 'cks:';

export function customStoreHandle(storeId: string, hsmHandle: string): string {
  return `${PREFIX}${storeId}:${hsmHandle}`;
}

function parseHandle(handle: string): { storeId: string; ref: HsmKeyRef } {
  const rest = handle.slice(PREFIX.length);
  const sep = rest.lastIndexOf(':');
  if (sep <= 0) throw new KmsError('KMSInternalException', 'Malformed custom key store handle.');
  return { storeId: rest.slice(0, sep), ref: { handle: rest.slice(sep + 1), label: '', type: 'aes', bits: 256, class: 'secret' } };
}

/** KMS's answer when the store's cluster cannot do the operation (docs/custom-key-stores.md). */
export function unreachable(storeId: string, cause?: unknown): KmsError {
  const detail = cause instanceof Error ? ` (${cause.message})` : '';
  return new KmsError(
    'KMSInvalidStateException',
    `KMS cannot communicate with the CloudHSM cluster of custom key store ${storeId}, or the store is not connected${detail}.`,
  );
}

/** Wrap the default store so that `cks:` handles go to the connected custom key store's cluster. */
export function routeMaterialStore(local: KeyMaterialStore, connections: CustomKeyStoreConnections): KeyMaterialStore {
  const clientFor = (storeId: string) => {
    const c = connections.client(storeId);
    if (!c) throw unreachable(storeId);
    return c;
  };
  return {
    kind: local.kind,
    createSymmetricKey: (keyId, version) => local.createSymmetricKey(keyId, version),
    ...(local.importSymmetricKey && { importSymmetricKey: local.importSymmetricKey.bind(local) }),
    async encrypt(handle, plaintext, aad) {
      if (!handle.startsWith(PREFIX)) return local.encrypt(handle, plaintext, aad);
      const { storeId, ref } = parseHandle(handle);
      try {
        return await clientFor(storeId).aesGcmEncrypt(ref, plaintext, aad);
      } catch (e) {
        throw e instanceof KmsError ? e : unreachable(storeId, e);
      }
    },
    async decrypt(handle, parts, aad) {
      if (!handle.startsWith(PREFIX)) return local.decrypt(handle, parts, aad);
      const { storeId, ref } = parseHandle(handle);
      try {
        return await clientFor(storeId).aesGcmDecrypt(ref, { iv: parts.iv, ciphertext: parts.ciphertext, tag: parts.tag, aad });
      } catch (e) {
        // A tag that does not verify is the caller's problem (InvalidCiphertextException upstream);
        // everything else means the cluster could not answer.
        if (StrongroomError.isInstance(e, 'AUTHENTICATION_FAILED')) throw e;
        throw e instanceof KmsError ? e : unreachable(storeId, e);
      }
    },
    async destroySymmetricKey(handle) {
      if (!handle.startsWith(PREFIX)) return local.destroySymmetricKey(handle);
      // Best effort, as KMS: orphaned material may remain in the cluster (and its backups).
      const { storeId, ref } = parseHandle(handle);
      await connections.client(storeId)?.deleteKey(ref).catch(() => {});
    },
  };
}
