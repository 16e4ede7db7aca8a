/**
 * The HSM backend seam: one interface over "an HSM" that both the hsm-local cluster client
 * (`connectHsmCluster`) and the PKCS#11 client (`openPkcs11`) implement, so `HsmKeyProvider`,
 * `HsmSigner` and `HsmMac` work over either. Capability flags describe differences instead of
 * vendor branches (docs/hsm-provider.md#capability-flags-instead-of-vendor-branches).
 *
 * Every method takes an optional `{ abortSignal }` and rejects with StrongroomError codes:
 * KEY_UNAVAILABLE (no such key / not usable), ACCESS_DENIED (login, permissions, attributes),
 * AUTHENTICATION_FAILED (GCM tag or signature did not verify), PROVIDER_ERROR (backend failure).
 */

export type HsmKeyType = 'aes' | 'rsa' | 'ec' | 'generic-secret';
/** A hash an HSM backend supports. */
export type HsmHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** An opaque reference to a key inside the HSM. */
export interface HsmKeyRef {
  /** Backend-specific handle (PKCS#11 object handle hex, cluster key id). */
  readonly handle: string;
  readonly label: string;
  readonly type: HsmKeyType;
  /** Key size in bits (AES/generic) or modulus bits (RSA) or curve size (EC: 256/384). */
  readonly bits: number;
  /** Key class: secret for AES/generic, private/public for asymmetric halves. */
  readonly class: 'secret' | 'private' | 'public';
  /** The owning user, on backends with per-user key ownership (the hsm-local cluster). */
  readonly owner?: string | undefined;
}

/** Attributes of a key to generate: label, persistence, extractability, permitted uses. */
export interface HsmKeyTemplate {
  readonly label: string;
  /** Default true: persistent (token) key, replicated across a cluster. */
  readonly token?: boolean;
  /** Default false. */
  readonly extractable?: boolean;
  readonly encrypt?: boolean;
  readonly decrypt?: boolean;
  readonly wrap?: boolean;
  readonly unwrap?: boolean;
  readonly sign?: boolean;
  readonly verify?: boolean;
}

/** Options of every backend call: an abort signal. */
export interface HsmCallOptions {
  readonly abortSignal?: AbortSignal | undefined;
}

/** What a backend does differently (docs/hsm-provider.md#capability-flags-instead-of-vendor-branches). */
export interface HsmCapabilities {
  /** Who chooses the AES-GCM IV: the HSM (CloudHSM, hsm-local) or the caller (SoftHSMv2). */
  readonly gcmIv: 'hsm' | 'caller';
  /** RSA-OAEP hashes the module supports inside the HSM. */
  readonly oaepHashes: readonly HsmHash[];
  /** True when the module hashes for ECDSA (CKM_ECDSA_SHA*); false when the caller must pre-hash. */
  readonly ecdsaHashesInside: boolean;
  /** True when a new token key must be on ≥ N nodes before use (cluster key availability). */
  readonly keyAvailabilityCheck: boolean;
}

/**
 * One interface over an HSM, implemented by the cluster client and the PKCS#11 client (docs/architecture.md#hsmbackend).
 */
export interface HsmBackend {
  readonly kind: 'cluster' | 'pkcs11';
  /** Identifies the HSM (cluster id, or PKCS#11 token serial); written into HSM provider info. */
  readonly id: string;
  readonly capabilities: HsmCapabilities;

  /**
   * The key with this label owned by the logged-in user; with `owner`, the key of that owner (shared
   * with the logged-in user). Never a key of another owner than the one asked for.
   */
  findKey(query: { label: string; class?: 'secret' | 'private' | 'public'; owner?: string | undefined }, options?: HsmCallOptions): Promise<HsmKeyRef | undefined>;
  /** The logged-in user, on backends with per-user key ownership. */
  readonly principal?: string | undefined;
  /**
   * Optional: the key with this stable handle (undefined when it does not exist or the user may not
   * use it). Backends whose handles are stable implement it; HsmKeyProvider then names the exact
   * key in each encrypted data key.
   */
  keyByHandle?(handle: string, options?: HsmCallOptions): Promise<HsmKeyRef | undefined>;
  /** Generate an AES key of `bits` inside the HSM. */
  generateAesKey(template: HsmKeyTemplate & { bits: 128 | 192 | 256 }, options?: HsmCallOptions): Promise<HsmKeyRef>;
  /** Generate a generic secret (an HMAC key) of `bits` inside the HSM. */
  generateGenericSecret(template: HsmKeyTemplate & { bits: number }, options?: HsmCallOptions): Promise<HsmKeyRef>;
  /** Generate an RSA or EC key pair inside the HSM. */
  generateKeyPair(
    template: HsmKeyTemplate & ({ type: 'rsa'; bits: 2048 | 3072 | 4096 } | { type: 'ec'; curve: 'P-256' | 'P-384' }),
    options?: HsmCallOptions,
  ): Promise<{ privateKey: HsmKeyRef; publicKey: HsmKeyRef }>;
  /** Delete a key. */
  deleteKey(key: HsmKeyRef, options?: HsmCallOptions): Promise<void>;

  /** AES-GCM inside the HSM, 16-byte tag. The IV is chosen by the HSM (or by the backend on caller-IV modules). */
  aesGcmEncrypt(key: HsmKeyRef, plaintext: Uint8Array, aad: Uint8Array, options?: HsmCallOptions): Promise<{ iv: Uint8Array; ciphertext: Uint8Array; tag: Uint8Array }>;
  /**
   * AES-GCM decryption inside the HSM.
   *
   * @throws StrongroomError `AUTHENTICATION_FAILED` when the tag does not verify.
   */
  aesGcmDecrypt(key: HsmKeyRef, input: { iv: Uint8Array; ciphertext: Uint8Array; tag: Uint8Array; aad: Uint8Array }, options?: HsmCallOptions): Promise<Uint8Array>;

  /** Sign `data` with a private key inside the HSM. */
  sign(key: HsmKeyRef, mechanism: HsmSignMechanism, data: Uint8Array, options?: HsmCallOptions): Promise<Uint8Array>;
  /** Verify a signature with a public key inside the HSM. */
  verify(key: HsmKeyRef, mechanism: HsmSignMechanism, data: Uint8Array, signature: Uint8Array, options?: HsmCallOptions): Promise<boolean>;
  /** HMAC of `data` with a generic-secret key inside the HSM. */
  hmac(key: HsmKeyRef, hash: Exclude<HsmHash, 'sha1'>, data: Uint8Array, options?: HsmCallOptions): Promise<Uint8Array>;
  /** Random bytes from the HSM. */
  generateRandom(length: number, options?: HsmCallOptions): Promise<Uint8Array>;
  /**
   * Optional: `length` random bytes from the HSM and their AES-GCM encryption under `key` (IV chosen
   * by the HSM) in one round trip — what `generateRandom` then `aesGcmEncrypt` give, as KMS
   * GenerateDataKey returns a data key with its ciphertext. Backends that have no such call leave it
   * out and HsmKeyProvider makes the two calls.
   */
  generateDataKey?(key: HsmKeyRef, length: number, aad: Uint8Array, options?: HsmCallOptions): Promise<{ plaintext: Uint8Array; iv: Uint8Array; ciphertext: Uint8Array; tag: Uint8Array }>;
  /**
   * Optional: the public half of an asymmetric key as DER SubjectPublicKeyInfo, so signatures made
   * in the HSM (code signing, tokens) can be verified where the HSM is not reachable. Accepts the
   * private or the public key reference of a pair.
   */
  exportPublicKey?(key: HsmKeyRef, options?: HsmCallOptions): Promise<Uint8Array>;

  /** Close sessions and connections. */
  close(): Promise<void>;
}

/** Signature mechanisms; ECDSA signatures are DER-encoded. */
export type HsmSignMechanism =
  | { readonly type: 'ecdsa'; readonly hash: Exclude<HsmHash, 'sha1'> }
  | { readonly type: 'rsa-pss'; readonly hash: Exclude<HsmHash, 'sha1'> }
  | { readonly type: 'rsa-pkcs1'; readonly hash: Exclude<HsmHash, 'sha1'> };
