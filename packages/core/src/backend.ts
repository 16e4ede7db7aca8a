/**
 * The crypto backend seam: every primitive the message format needs, so the same encoder/decoder
 * runs on node:crypto (default, OpenSSL, fastest) or on @noble/* (pure JS, audited, no node:crypto).
 * Primitives bind key, IV and AAD per call (after noble-ciphers' `gcm(key, nonce, aad)`); plaintext may arrive in pieces so
 * streaming frames are never concatenated just to be encrypted.
 */
import type { KdfHash, SignatureCurve } from './suites';

/** AES-GCM output: ciphertext and 16-byte tag, separately. */
export interface GcmSealed {
  readonly ciphertext: Uint8Array[];
  readonly tag: Uint8Array;
}

/** An ECDSA key pair for the signed suites, as the backend represents it. */
export interface SigningKeyPair {
  /** SEC1 compressed public point (as carried in `aws-crypto-public-key`). */
  readonly publicKey: Uint8Array;
  /** Backend-specific private key handle. */
  readonly privateKey: unknown;
  readonly curve: SignatureCurve;
}

/** An ECDSA signer fed in pieces (the message is signed as it streams). */
export interface IncrementalSigner {
  /** Add the next piece of the signed data. */
  update(data: Uint8Array): void;
  /** DER-encoded ECDSA signature over everything passed to update(). */
  sign(): Uint8Array;
}

/** An ECDSA verifier fed in pieces. */
export interface IncrementalVerifier {
  /** Add the next piece of the signed data. */
  update(data: Uint8Array): void;
  /** True if the DER-encoded signature matches the data fed so far. */
  verify(derSignature: Uint8Array): boolean;
}

/**
 * The cryptographic primitives the message format needs. Pass one as `ClientOptions.backend`: {@link nodeBackend} (default) or `nobleBackend` (from `@strongroom/core/noble`).
 */
export interface CryptoBackend {
  readonly name: string;
  /** Cryptographically secure random bytes. */
  randomBytes(length: number): Uint8Array;
  /** RFC 5869 HKDF (extract with `salt`, or HashLen zero bytes when undefined; then expand). */
  hkdf(hash: KdfHash, ikm: Uint8Array, salt: Uint8Array | undefined, info: Uint8Array, length: number): Uint8Array;
  /** RFC 5869 §2.2 HKDF-Extract: the pseudorandom key (caller wipes it). */
  hkdfExtract(hash: KdfHash, ikm: Uint8Array, salt: Uint8Array | undefined): Uint8Array;
  /** RFC 5869 §2.3 HKDF-Expand from a pseudorandom key. */
  hkdfExpand(hash: KdfHash, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /**
   * Optional: `length` bytes for transient, non-secret data that the caller fills completely: a
   * frame's AAD, a new header's body (its tag's AAD, then copied into the output). Never handed to
   * the user as they are: the client joins such pieces into bytes of its own. The Node backend
   * takes them from Node's shared Buffer pool, because a fresh ArrayBuffer above 64 bytes costs
   * about a microsecond here, a twentieth of a small message. Without it: `new Uint8Array(length)`.
   */
  transientBytes?(length: number): Uint8Array;
  /** AES-GCM with a 16-byte tag; key length selects AES-128/192/256. */
  gcmEncrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, plaintext: readonly Uint8Array[]): GcmSealed;
  /** Returns plaintext pieces only if the tag verifies; throws AUTHENTICATION_FAILED otherwise. */
  gcmDecrypt(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, ciphertext: readonly Uint8Array[], tag: Uint8Array): Uint8Array[];
  /** A fresh ECDSA key pair on `curve` (one per signed message). */
  generateSigningKey(curve: SignatureCurve): SigningKeyPair;
  /** An incremental signer with the key pair's private key. */
  createSigner(key: SigningKeyPair): IncrementalSigner;
  /** Throws MALFORMED when the compressed point is not a valid point of the curve. */
  createVerifier(curve: SignatureCurve, compressedPublicKey: Uint8Array): IncrementalVerifier;
  /** Constant-time equality for tags and commitments. */
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
}

/** A backend's {@link CryptoBackend.transientBytes}, bound to it, or undefined (fresh bytes). */
export function transientBytes(backend: CryptoBackend): ((length: number) => Uint8Array) | undefined {
  return backend.transientBytes ? (length) => backend.transientBytes!(length) : undefined;
}
