/**
 * The raw AES key provider for every entry: wraps data keys with a local AES key, byte-compatible
 * with the AWS Encryption SDK raw AES keyring. spec: framework/raw-aes-keyring.md. The entries
 * export it as `RawAesKeyProvider` with their default backend (./raw-aes-provider, ./web).
 *   providerId   = key namespace
 *   providerInfo = key name ‖ u32 tag length in bits (128) ‖ u32 IV length (12) ‖ IV
 *   ciphertext   = AES-GCM(wrapping key, IV, AAD = serialized encryption context, data key) ‖ tag
 */
import { type AsyncCryptoBackend, type AsyncGcmKey, isAsyncBackend } from './async-backend';
import type { CryptoBackend, GcmSealed } from './backend';
import { abytes, concatBytes, copyBytes, utf8 } from './bytes';
import { serializeEncryptionContext } from './encryption-context';
import { StrongroomError, throwIfAborted } from './errors';
import type { DataKeyRequest, EncryptedDataKey, KeyProvider } from './key-provider';

/**
 * Options of {@link RawAesKeyProvider}: key namespace and name (written into each encrypted data key) and the 16, 24 or 32-byte wrapping key.
 */
export interface RawAesKeyProviderOptions {
  /** Key namespace, written as the EDK provider id. Must not start with `aws-kms`. */
  namespace: string;
  /** Key name, written at the start of the EDK provider info. */
  name: string;
  /** 16, 24 or 32 bytes. Copied; the caller keeps ownership of its buffer. */
  key: Uint8Array;
  /** The crypto backend: the entry's default (node:crypto on Node, Web Crypto on the web entry). */
  backend?: CryptoBackend | AsyncCryptoBackend;
}

/** What an entry supplies: its default backend and how it fingerprints a key for the cache identity. */
export interface RawAesDefaults {
  readonly backend: CryptoBackend | AsyncCryptoBackend;
  fingerprint(key: Uint8Array, backend: CryptoBackend | AsyncCryptoBackend): string | Promise<string>;
}

function checkName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new StrongroomError('INVALID_ARGUMENT', `${what}: expected a non-empty string`);
  if (utf8(value).length > 0xffff) throw new StrongroomError('INVALID_ARGUMENT', `${what}: too long`);
  return value;
}

/** The provider; `defaults` come from the entry. */
export function rawAesKeyProvider(options: RawAesKeyProviderOptions, defaults: RawAesDefaults): KeyProvider {
  const namespace = checkName(options?.namespace, 'namespace');
  const name = checkName(options.name, 'name');
  if (namespace.startsWith('aws-kms')) throw new StrongroomError('INVALID_ARGUMENT', 'namespace: "aws-kms" is reserved for KMS');
  const wrappingKey = copyBytes(abytes(options.key, 'key', 16, 24, 32));
  const backend = options.backend ?? defaults.backend;
  // Every EDK's provider info starts the same: key name ‖ u32 tag length in bits (128) ‖ u32 IV
  // length (12); its IV follows (spec: framework/raw-aes-keyring.md#onencrypt).
  const infoPrefix = concatBytes([utf8(name), Uint8Array.of(0, 0, 0, 128, 0, 0, 0, 12)]);
  const fingerprint = defaults.fingerprint(wrappingKey, backend);
  const identityOf = (f: string) => JSON.stringify(['raw-aes', namespace, name, f]);
  // A string now (Node), or a promise (Web Crypto is async): a failed one leaves the provider uncached.
  const identity = typeof fingerprint === 'string' ? identityOf(fingerprint) : fingerprint.then(identityOf);
  if (typeof identity !== 'string') identity.catch(() => undefined);
  let asyncKey: Promise<AsyncGcmKey> | undefined;

  async function seal(iv: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<GcmSealed> {
    if (!isAsyncBackend(backend)) return backend.gcmEncrypt(wrappingKey, iv, aad, [plaintext]);
    return (await (asyncKey ??= backend.gcmKey(wrappingKey))).encrypt(iv, aad, [plaintext]);
  }

  async function open(iv: Uint8Array, aad: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Promise<Uint8Array[]> {
    if (!isAsyncBackend(backend)) return backend.gcmDecrypt(wrappingKey, iv, aad, [ciphertext], tag);
    return (await (asyncKey ??= backend.gcmKey(wrappingKey))).decrypt(iv, aad, [ciphertext], tag);
  }

  async function wrap(dataKey: Uint8Array, aad: Uint8Array): Promise<{ iv: Uint8Array; sealed: Uint8Array }> {
    const iv = backend.randomBytes(12);
    const { ciphertext, tag } = await seal(iv, aad, dataKey);
    return { iv, sealed: concatBytes([...ciphertext, tag], dataKey.length + 16) };
  }

  async function unwrap(iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Promise<Uint8Array> {
    const pieces = await open(iv, aad, sealed.subarray(0, sealed.length - 16), sealed.subarray(sealed.length - 16));
    const out = concatBytes(pieces, sealed.length - 16);
    if (pieces.length > 1) for (const p of pieces) p.fill(0); // the copies we own besides `out`
    return out;
  }

  async function encryptDataKey(request: DataKeyRequest & { plaintextKey: Uint8Array }): Promise<EncryptedDataKey> {
    throwIfAborted(request.abortSignal);
    const { iv, sealed } = await wrap(request.plaintextKey, serializeEncryptionContext(request.encryptionContext));
    return { providerId: namespace, providerInfo: concatBytes([infoPrefix, iv]), ciphertext: sealed };
  }

  return {
    providerId: namespace,
    // The same namespace and name over other key bytes is another key: bind the cache to the bytes.
    cacheIdentity: () => identity,
    async generateDataKey(request) {
      const plaintextKey = backend.randomBytes(request.suite.keyLength);
      try {
        return { plaintextKey, encryptedDataKey: await encryptDataKey({ ...request, plaintextKey }) };
      } catch (e) {
        plaintextKey.fill(0);
        throw e;
      }
    },
    async encryptDataKey(request) {
      return encryptDataKey(request);
    },
    async decryptDataKey({ encryptedDataKey: edk, encryptionContext, suite, abortSignal }) {
      throwIfAborted(abortSignal);
      // spec: raw-aes-keyring.md#ondecrypt — only EDKs whose namespace, name, tag and IV lengths match.
      if (edk.providerId !== namespace) return undefined;
      const info = edk.providerInfo;
      if (info.length !== infoPrefix.length + 12 || !backend.timingSafeEqual(info.subarray(0, infoPrefix.length), infoPrefix)) return undefined;
      if (edk.ciphertext.length !== suite.keyLength + 16) {
        throw new StrongroomError('MALFORMED', `Raw AES EDK ciphertext is ${edk.ciphertext.length} bytes; expected ${suite.keyLength + 16}`);
      }
      return unwrap(info.subarray(infoPrefix.length), edk.ciphertext, serializeEncryptionContext(encryptionContext));
    },
    keyWrap: {
      algorithm: 'aes-gcm',
      async wrap({ plaintext, aad = new Uint8Array(0), abortSignal }) {
        throwIfAborted(abortSignal);
        const { iv, sealed } = await wrap(plaintext, aad);
        return concatBytes([iv, sealed]);
      },
      async unwrap({ wrapped, aad = new Uint8Array(0), abortSignal }) {
        throwIfAborted(abortSignal);
        if (wrapped.length < 12 + 16) throw new StrongroomError('MALFORMED', 'AES-GCM wrapped key is too short');
        return unwrap(wrapped.subarray(0, 12), wrapped.subarray(12), aad);
      },
    },
  };
}
