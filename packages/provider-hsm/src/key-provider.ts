/**
 * HsmKeyProvider: the core KeyProvider over any HsmBackend (PKCS#11 v2.40 or the hsm-local cluster).
 *
 *   providerId   = `strongroom-hsm` (configurable)
 *   providerInfo = backend id ‖ key label ‖ key handle ‖ key owner ‖ IV, length-prefixed (./provider-info);
 *                  label-only version 1 on backends without stable handles (PKCS#11)
 *   ciphertext   = AES-GCM(HSM key, IV, AAD = serialized encryption context, data key) ‖ tag
 *
 * Data keys come from the HSM's RNG and are wrapped and unwrapped inside the HSM; the wrapping key
 * never leaves it. A backend with `generateDataKey` (the hsm-local cluster) draws and wraps a data
 * key in one call; others (PKCS#11) take `generateRandom` then `aesGcmEncrypt`. The IV is chosen by the HSM (or, on caller-IV modules such as SoftHSMv2, drawn
 * from the HSM's RNG by the backend). Random 96-bit IVs bound one key to 2^32 wraps (NIST SP
 * 800-38D §8.3); rotate the key label well before that.
 *
 * `keyWrap` ('aes-gcm') gives the S3 Encryption Client `AES/GCM` layout iv ‖ ct ‖ tag with the
 * GCM done inside the HSM.
 *
 * The key is pinned: the label resolves only to a key owned by the logged-in user (or, with
 * `keyOwner`, by that user and shared with the caller), never to a key another user created under
 * the same label; each EDK names that exact key, and decryption opens it by handle and owner.
 */
import {
  instanceIdentity,
  StrongroomError,
  throwIfAborted,
  type DataKeyRequest,
  type EncryptedDataKey,
  type KeyProvider,
  type KeyWrapCapability,
  serializeEncryptionContext,
} from '@strongroom/core';
import type { HsmBackend, HsmKeyRef } from './backend';
import { createKeyCache } from './key-cache';

import { encodeProviderInfo, MAX_BACKEND_ID_BYTES, MAX_KEY_LABEL_BYTES, MAX_KEY_OWNER_BYTES, parseProviderInfo } from './provider-info';

/** Default `providerId` of {@link HsmKeyProvider}. */
export const DEFAULT_HSM_PROVIDER_ID = 'strongroom-hsm';
/** The largest byte string `keyWrap` accepts (S3EC wraps 32-byte keys; this leaves room). */
const MAX_WRAP_PLAINTEXT = 4096;

/** Options of {@link HsmKeyProvider}: the backend, the key label and owner, the provider id and backend id. */
export interface HsmKeyProviderOptions {
  /** Any HsmBackend: `openPkcs11(...)` or the hsm-local cluster client. */
  readonly backend: HsmBackend;
  /** Label of the AES wrapping key inside the HSM (created with `backend.generateAesKey`). */
  readonly keyLabel: string;
  /** Written into each EDK; default `strongroom-hsm`. Must not start with `aws-kms`. */
  readonly providerId?: string | undefined;
  /**
   * The HSM identity written into providerInfo and matched on decrypt; default `backend.id`.
   * Set it to a stable logical name when the same keys are reachable under several ids (for
   * example a restored cluster or a cloned token with a new serial).
   */
  readonly backendId?: string | undefined;
  /**
   * Use a key another crypto user owns and shared with the logged-in user. Default: only a key the
   * logged-in user owns. (Backends without per-user ownership, such as PKCS#11 tokens, ignore it.)
   */
  readonly keyOwner?: string | undefined;
}

/** A key provider whose data keys are wrapped by AES-GCM inside an HSM. */
export interface HsmKeyProvider extends KeyProvider {
  readonly keyLabel: string;
  readonly backendId: string;
  readonly keyWrap: KeyWrapCapability;
}

function utf8Length(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/**
 * Create a key provider whose data keys are wrapped by an AES key inside an HSM.
 *
 * @example
 * const hsm = await openPkcs11({ library, tokenLabel: 'app', pin });
 * const provider = HsmKeyProvider({ backend: hsm, keyLabel: 'app-kek' });
 * const client = createClient({ keyProvider: provider });
 * @throws StrongroomError `INVALID_ARGUMENT` for a missing backend, an empty or oversized label or id.
 */
export function HsmKeyProvider(options: HsmKeyProviderOptions): HsmKeyProvider {
  if (typeof options !== 'object' || options === null) throw new TypeError('options: expected an object');
  const { backend } = options;
  if (typeof backend !== 'object' || backend === null || typeof backend.aesGcmEncrypt !== 'function') {
    throw new StrongroomError('INVALID_ARGUMENT', 'backend: expected an HsmBackend (openPkcs11 or the cluster client)');
  }
  const keyLabel = options.keyLabel;
  if (typeof keyLabel !== 'string' || keyLabel.length === 0 || utf8Length(keyLabel) > MAX_KEY_LABEL_BYTES) {
    throw new StrongroomError('INVALID_ARGUMENT', `keyLabel: must be 1…${MAX_KEY_LABEL_BYTES} UTF-8 bytes`);
  }
  const providerId = options.providerId ?? DEFAULT_HSM_PROVIDER_ID;
  if (typeof providerId !== 'string' || providerId.length === 0 || utf8Length(providerId) > 0xffff) {
    throw new StrongroomError('INVALID_ARGUMENT', 'providerId: must be a non-empty string');
  }
  if (providerId.startsWith('aws-kms')) throw new StrongroomError('INVALID_ARGUMENT', 'providerId: "aws-kms" is reserved for KMS');
  const backendId = options.backendId ?? backend.id;
  if (typeof backendId !== 'string' || backendId.length === 0 || utf8Length(backendId) > MAX_BACKEND_ID_BYTES) {
    throw new StrongroomError('INVALID_ARGUMENT', `backendId: must be 1…${MAX_BACKEND_ID_BYTES} UTF-8 bytes`);
  }

  const keyOwner = options.keyOwner;
  if (keyOwner !== undefined && (typeof keyOwner !== 'string' || keyOwner.length === 0 || utf8Length(keyOwner) > MAX_KEY_OWNER_BYTES)) {
    throw new StrongroomError('INVALID_ARGUMENT', `keyOwner: must be 1…${MAX_KEY_OWNER_BYTES} UTF-8 bytes`);
  }
  /** The owner every key this provider uses must have (undefined on backends without ownership). */
  const owner = keyOwner ?? backend.principal;
  function checkKey(key: HsmKeyRef): void {
    if (key.type !== 'aes') throw new StrongroomError('KEY_UNAVAILABLE', `HSM key ${JSON.stringify(keyLabel)} is not an AES key`);
    if (owner !== undefined && key.owner !== owner) {
      throw new StrongroomError('KEY_UNAVAILABLE', `HSM key ${key.handle} is owned by ${String(key.owner)}, not ${owner}; refusing a key this provider did not pin`);
    }
  }
  const wrappingKey = createKeyCache(backend, { label: keyLabel, class: 'secret', owner: keyOwner }, checkKey);
  const withKey = wrappingKey.withKey;

  /** Keys resolved by handle for decryption (the exact key an EDK names). */
  const byHandle = new Map<string, Promise<HsmKeyRef | undefined>>();
  function pinnedKey(lookupByHandle: NonNullable<HsmBackend['keyByHandle']>, handle: string): Promise<HsmKeyRef | undefined> {
    let p = byHandle.get(handle);
    if (!p) {
      // Shared by concurrent callers, so no one caller's abortSignal cancels it (as in key-cache.ts).
      p = lookupByHandle(handle).then((key) => {
        if (key) checkKey(key);
        return key;
      });
      const pending = p;
      pending.then(
        (key) => {
          if (!key && byHandle.get(handle) === pending) byHandle.delete(handle);
        },
        () => {
          if (byHandle.get(handle) === pending) byHandle.delete(handle);
        },
      );
      if (byHandle.size >= 256) byHandle.clear();
      byHandle.set(handle, p);
    }
    return p;
  }

  /** Version 2 (exact key) when the backend has stable handles and ownership, else version 1 (label). */
  function exactKey(key: HsmKeyRef): { keyHandle?: string; keyOwner?: string } {
    return backend.keyByHandle && key.owner !== undefined ? { keyHandle: key.handle, keyOwner: key.owner } : {};
  }

  async function seal(plaintext: Uint8Array, aad: Uint8Array, abortSignal: AbortSignal | undefined) {
    const sealed = await withKey(abortSignal, async (key) => ({ key, ...(await backend.aesGcmEncrypt(key, plaintext, aad, { abortSignal })) }));
    if (sealed.iv.length !== 12 || sealed.tag.length !== 16 || sealed.ciphertext.length !== plaintext.length) {
      throw new StrongroomError('PROVIDER_ERROR', 'HSM returned an AES-GCM result of unexpected shape');
    }
    return sealed;
  }

  async function encryptDataKey(request: DataKeyRequest & { readonly plaintextKey: Uint8Array }): Promise<EncryptedDataKey> {
    throwIfAborted(request.abortSignal);
    const { plaintextKey, suite } = request;
    if (!(plaintextKey instanceof Uint8Array) || plaintextKey.length !== suite.keyLength) {
      throw new StrongroomError('INVALID_ARGUMENT', `plaintextKey: must be ${suite.keyLength} bytes for suite ${suite.name}`);
    }
    const aad = serializeEncryptionContext(request.encryptionContext);
    return edkOf(await seal(plaintextKey, aad, request.abortSignal));
  }

  /** The EDK of a data key the HSM sealed: providerInfo names the key and the IV, ciphertext = ct ‖ tag. */
  function edkOf({ key, iv, ciphertext, tag }: { key: HsmKeyRef; iv: Uint8Array; ciphertext: Uint8Array; tag: Uint8Array }): EncryptedDataKey {
    const wrapped = new Uint8Array(ciphertext.length + 16);
    wrapped.set(ciphertext);
    wrapped.set(tag, ciphertext.length);
    return { providerId, providerInfo: encodeProviderInfo({ backendId, keyLabel, ...exactKey(key), iv }), ciphertext: wrapped };
  }

  /** The data key and its wrapping from one backend call (random + AES-GCM inside the HSM). */
  async function generateInOneCall(generate: NonNullable<HsmBackend['generateDataKey']>, request: DataKeyRequest) {
    const { suite, abortSignal } = request;
    const aad = serializeEncryptionContext(request.encryptionContext);
    const { key, plaintext, iv, ciphertext, tag } = await withKey(abortSignal, async (ref) => ({ key: ref, ...(await generate(ref, suite.keyLength, aad, { abortSignal })) }));
    try {
      if (plaintext.length !== suite.keyLength || iv.length !== 12 || tag.length !== 16 || ciphertext.length !== suite.keyLength) {
        throw new StrongroomError('PROVIDER_ERROR', 'HSM returned a data key or an AES-GCM result of unexpected shape');
      }
      return { plaintextKey: plaintext, encryptedDataKey: edkOf({ key, iv, ciphertext, tag }) };
    } catch (error) {
      plaintext.fill(0);
      throw error;
    }
  }

  const keyWrap: KeyWrapCapability = {
    algorithm: 'aes-gcm',
    async wrap({ plaintext, aad = new Uint8Array(0), abortSignal }) {
      throwIfAborted(abortSignal);
      if (!(plaintext instanceof Uint8Array) || plaintext.length === 0 || plaintext.length > MAX_WRAP_PLAINTEXT) {
        throw new StrongroomError('INVALID_ARGUMENT', `plaintext: must be 1…${MAX_WRAP_PLAINTEXT} bytes`);
      }
      const { iv, ciphertext, tag } = await seal(plaintext, aad, abortSignal);
      const out = new Uint8Array(12 + ciphertext.length + 16);
      out.set(iv);
      out.set(ciphertext, 12);
      out.set(tag, 12 + ciphertext.length);
      return out;
    },
    async unwrap({ wrapped, aad = new Uint8Array(0), abortSignal }) {
      throwIfAborted(abortSignal);
      if (!(wrapped instanceof Uint8Array)) throw new TypeError('wrapped: expected a Uint8Array');
      if (wrapped.length <= 12 + 16 || wrapped.length > 12 + MAX_WRAP_PLAINTEXT + 16) {
        throw new StrongroomError('MALFORMED', `AES-GCM wrapped key of ${wrapped.length} bytes is outside the valid range`);
      }
      return withKey(abortSignal, (key) =>
        backend.aesGcmDecrypt(
          key,
          { iv: wrapped.subarray(0, 12), ciphertext: wrapped.subarray(12, wrapped.length - 16), tag: wrapped.subarray(wrapped.length - 16), aad },
          { abortSignal },
        ),
      );
    },
  };

  return {
    providerId,
    keyLabel,
    backendId,
    /**
     * Bound to the key this provider resolved (its handle and label), the HSM it lives in (kind and
     * id) and this backend connection (its login): a label or a `backendId` override is a name,
     * and another connection may be another HSM or another user under the same name.
     */
    async cacheIdentity() {
      const key = await withKey(undefined, async (ref) => ref);
      return JSON.stringify(['hsm', providerId, backendId, backend.kind, backend.id, key.handle, key.label, key.type, instanceIdentity(backend)]);
    },
    keyWrap,

    async generateDataKey(request) {
      throwIfAborted(request.abortSignal);
      if (backend.generateDataKey) return generateInOneCall(backend.generateDataKey.bind(backend), request);
      const plaintextKey = await backend.generateRandom(request.suite.keyLength, { abortSignal: request.abortSignal });
      if (plaintextKey.length !== request.suite.keyLength) {
        plaintextKey.fill(0);
        throw new StrongroomError('PROVIDER_ERROR', 'HSM returned a random value of the wrong length');
      }
      try {
        return { plaintextKey, encryptedDataKey: await encryptDataKey({ ...request, plaintextKey }) };
      } catch (error) {
        plaintextKey.fill(0);
        throw error;
      }
    },

    encryptDataKey,

    async decryptDataKey({ encryptedDataKey: edk, encryptionContext, suite, abortSignal }) {
      throwIfAborted(abortSignal);
      if (edk.providerId !== providerId) return undefined;
      // Ours by provider id: a providerInfo we cannot parse is corrupt, not foreign.
      const info = parseProviderInfo(edk.providerInfo);
      // Another HSM or another key: not this provider's to open, let the next one try.
      if (info.backendId !== backendId || info.keyLabel !== keyLabel) return undefined;
      // A version-2 EDK names its exact key: one of another owner than this provider's is not ours.
      if (info.keyHandle !== undefined && owner !== undefined && info.keyOwner !== owner) return undefined;
      if (edk.ciphertext.length !== suite.keyLength + 16) {
        throw new StrongroomError('MALFORMED', `HSM EDK ciphertext is ${edk.ciphertext.length} bytes; expected ${suite.keyLength + 16}`);
      }
      const aad = serializeEncryptionContext(encryptionContext);
      const input = { iv: info.iv, ciphertext: edk.ciphertext.subarray(0, suite.keyLength), tag: edk.ciphertext.subarray(suite.keyLength), aad };
      let plaintext: Uint8Array;
      const { keyHandle } = info;
      if (keyHandle !== undefined && backend.keyByHandle) {
        // Open the exact key by handle; never resolve the label again.
        const key = await pinnedKey(backend.keyByHandle.bind(backend), keyHandle);
        throwIfAborted(abortSignal);
        if (!key) throw new StrongroomError('KEY_UNAVAILABLE', `HSM ${backendId}: key ${keyHandle} (owner ${String(info.keyOwner)}) that wrapped this data key is not available; restore it or its cluster backup`);
        plaintext = await backend.aesGcmDecrypt(key, input, { abortSignal });
      } else {
        plaintext = await withKey(abortSignal, (key) => backend.aesGcmDecrypt(key, input, { abortSignal }));
      }
      if (plaintext.length !== suite.keyLength) {
        plaintext.fill(0);
        throw new StrongroomError('PROVIDER_ERROR', 'HSM returned a data key of the wrong length');
      }
      return plaintext;
    },
  };
}
