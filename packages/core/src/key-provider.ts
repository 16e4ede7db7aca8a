/**
 * The KeyProvider seam: every key backend is one implementation of this interface, and the same
 * conformance suite (`@strongroom/testing`) runs against each. Modelled on the AWS Encryption SDK
 * keyring interface (aws-encryption-sdk-specification framework/keyring-interface.md).
 *
 * A provider never sees message bytes: it generates, wraps and unwraps data keys, bound to the
 * message's encryption context.
 */
import type { AlgorithmSuite } from './suites';

/** Encryption context: non-secret key/value pairs bound to a message as authenticated data. */
export type EncryptionContext = Readonly<Record<string, string>>;

/** One wrapped copy of a message's data key, as written in the message header. */
export interface EncryptedDataKey {
  /** Identifies the provider kind, e.g. `aws-kms`, or a raw key's namespace. UTF-8, ≤ 65535 bytes. */
  readonly providerId: string;
  /** Provider-specific: a key ARN, a raw key name ‖ IV, … ≤ 65535 bytes. */
  readonly providerInfo: Uint8Array;
  /** The wrapped data key. ≤ 65535 bytes. */
  readonly ciphertext: Uint8Array;
}

/**
 * What a provider gets for one data-key operation: the suite, the message's full encryption context, an abort signal.
 */
export interface DataKeyRequest {
  readonly suite: AlgorithmSuite;
  /**
   * The full encryption context of the message (including reserved `aws-crypto-` entries, and the
   * required pairs the message authenticates without storing them).
   */
  readonly encryptionContext: EncryptionContext;
  readonly abortSignal?: AbortSignal | undefined;
}

/** A fresh data key and its wrapped copies. */
export interface GeneratedDataKey {
  /** `suite.keyLength` bytes. Ownership passes to the caller, which wipes it after use. */
  readonly plaintextKey: Uint8Array;
  readonly encryptedDataKey: EncryptedDataKey;
  /**
   * Further wraps of the same key by this provider (e.g. a KMS provider configured with several
   * key ids: the generator's EDK plus one Encrypt per additional key). Written after `encryptedDataKey`.
   */
  readonly additionalEncryptedDataKeys?: readonly EncryptedDataKey[];
}

/**
 * The seam every key backend implements (docs/architecture.md#keyprovider): generate, wrap and unwrap data keys bound to the encryption context.
 *
 * @example
 * ```ts
 * // A provider that wraps with a key it fetched elsewhere, delegating to the raw AES provider.
 * const provider: KeyProvider = RawAesKeyProvider({ namespace: 'my-app', name: 'key-1', key: await fetchKey() });
 * const client = createClient({ keyProvider: provider });
 * ```
 */
export interface KeyProvider {
  /** Written into each encrypted data key; used to route EDKs on decrypt. */
  readonly providerId: string;
  /** Generate a fresh data key of `suite.keyLength` bytes and wrap it. */
  generateDataKey(request: DataKeyRequest): Promise<GeneratedDataKey>;
  /**
   * Wrap an existing data key (for the second and later providers of a message). A provider holding
   * several keys may return one EDK per key.
   */
  encryptDataKey(request: DataKeyRequest & { readonly plaintextKey: Uint8Array }): Promise<EncryptedDataKey | readonly EncryptedDataKey[]>;
  /**
   * Unwrap `encryptedDataKey`. Resolve `undefined` when the EDK is not this provider's (foreign
   * provider id / key name), so the next provider can try; reject when it is this provider's key but
   * unwrapping failed (wrong context, tampered, access denied).
   */
  decryptDataKey(request: DataKeyRequest & { readonly encryptedDataKey: EncryptedDataKey }): Promise<Uint8Array | undefined>;
  /**
   * Optional raw wrapping capability, used by formats other than the ESDK message (the S3
   * Encryption Client's `AES/GCM` and `RSA-OAEP-SHA1` wrap algorithms). A provider exposes it when
   * it can wrap arbitrary short byte strings under its key.
   */
  readonly keyWrap?: KeyWrapCapability | undefined;
  /**
   * The identity of the wrapping key(s) this provider uses for `purpose`, which the data-key cache
   * binds every entry to (docs/security.md, "Data-key cache"). It must name the key itself, never a
   * caller-chosen label: a keyed fingerprint of raw key material, the key ARN KMS resolved plus the
   * endpoint and principal, the HSM key's handle and HSM. Two providers that return the same
   * identity must be able to open each other's data keys. Never return key material.
   *
   * Resolve `undefined` when the identity is not known yet (e.g. an alias not resolved by a first
   * call): that call is not cached. A provider without this method is cached only within its own
   * instance (it gets a random identity), so two instances never share entries.
   */
  cacheIdentity?(purpose: 'encrypt' | 'decrypt'): string | undefined | Promise<string | undefined>;
}

/**
 * Raw key wrapping: `aes-gcm` returns `iv(12) ‖ ciphertext ‖ tag(16)` (the IV chosen by the
 * backend), `rsa-oaep-sha1` returns the RSA-OAEP(SHA-1, MGF1-SHA-1) ciphertext.
 */
export interface KeyWrapCapability {
  readonly algorithm: 'aes-gcm' | 'rsa-oaep-sha1';
  /** Wrap `plaintext` under the provider's key, binding `aad`. */
  wrap(request: { plaintext: Uint8Array; aad?: Uint8Array; abortSignal?: AbortSignal }): Promise<Uint8Array>;
  /** Rejects with an AUTHENTICATION_FAILED error when the wrapped bytes do not verify. */
  unwrap(request: { wrapped: Uint8Array; aad?: Uint8Array; abortSignal?: AbortSignal }): Promise<Uint8Array>;
}
