/**
 * The asynchronous crypto backend seam, for runtimes whose primitives return promises (the W3C Web
 * Cryptography API, https://www.w3.org/TR/webcrypto/: every `crypto.subtle` method is async). The
 * web entry drives the same framing code as the Node entry (./frame-writer, ./frame-reader) through
 * this seam; the Node entry keeps the synchronous {@link CryptoBackend} so its hot path awaits nothing.
 * A synchronous backend (e.g. `nobleBackend`) is adapted with {@link toAsyncBackend}.
 */
import type { CryptoBackend, GcmSealed, SigningKeyPair } from './backend';
import type { KdfHash, SignatureCurve } from './suites';

/** An AES-GCM key bound once (one import per message, not per frame); 16-byte tags. */
export interface AsyncGcmKey {
  encrypt(iv: Uint8Array, aad: Uint8Array, plaintext: readonly Uint8Array[]): Promise<GcmSealed>;
  /** Resolves plaintext only if the tag verifies; rejects with AUTHENTICATION_FAILED otherwise. */
  decrypt(iv: Uint8Array, aad: Uint8Array, ciphertext: readonly Uint8Array[], tag: Uint8Array): Promise<Uint8Array[]>;
  /** Forget the key (wipes any copy of its bytes; a non-extractable CryptoKey is just dropped). */
  destroy(): void;
}

/** An ECDSA signer fed in pieces; the signature is DER-encoded (ESDK message footer). */
export interface AsyncIncrementalSigner {
  update(data: Uint8Array): void;
  sign(): Promise<Uint8Array>;
}

/** An ECDSA verifier fed in pieces; takes a DER-encoded signature. */
export interface AsyncIncrementalVerifier {
  update(data: Uint8Array): void;
  verify(derSignature: Uint8Array): Promise<boolean>;
}

/** The primitives of {@link CryptoBackend}, promise-based. Pass one as the web entry's `ClientOptions.backend`. */
export interface AsyncCryptoBackend {
  readonly name: string;
  /** Marks the async seam (a {@link CryptoBackend} has no such member). */
  readonly async: true;
  /** Cryptographically secure random bytes (synchronous in every runtime: `crypto.getRandomValues`). */
  randomBytes(length: number): Uint8Array;
  /** RFC 5869 §2.2 HKDF-Extract (salt undefined or empty: HashLen zero bytes). Caller wipes the result. */
  hkdfExtract(hash: KdfHash, ikm: Uint8Array, salt: Uint8Array | undefined): Promise<Uint8Array>;
  /** RFC 5869 §2.3 HKDF-Expand. */
  hkdfExpand(hash: KdfHash, prk: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array>;
  /** Bind a 16, 24 or 32-byte AES key. The caller may wipe `key` once this resolves. */
  gcmKey(key: Uint8Array): Promise<AsyncGcmKey>;
  generateSigningKey(curve: SignatureCurve): Promise<SigningKeyPair>;
  createSigner(key: SigningKeyPair): Promise<AsyncIncrementalSigner>;
  /** Rejects with MALFORMED when the SEC1 compressed point is not a valid point of the curve. */
  createVerifier(curve: SignatureCurve, compressedPublicKey: Uint8Array): Promise<AsyncIncrementalVerifier>;
  /** Constant-time equality for tags and commitments. */
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
}

/** True for the async seam. */
export function isAsyncBackend(backend: CryptoBackend | AsyncCryptoBackend): backend is AsyncCryptoBackend {
  return (backend as AsyncCryptoBackend).async === true;
}

/** HMAC(key, data) with SHA-256 (RFC 2104) from any backend: HKDF-Extract(salt = key, IKM = data) is exactly that HMAC. */
export function hmacSha256(backend: AsyncCryptoBackend, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  return backend.hkdfExtract('sha256', data, key);
}

/**
 * A synchronous backend behind the async seam (e.g. `nobleBackend` on a runtime without Web Crypto).
 * The key bytes of `gcmKey` are copied: the caller wipes its own.
 */
export function toAsyncBackend(backend: CryptoBackend | AsyncCryptoBackend): AsyncCryptoBackend {
  if (isAsyncBackend(backend)) return backend;
  const b = backend;
  return {
    name: b.name,
    async: true,
    randomBytes: (length) => b.randomBytes(length),
    hkdfExtract: async (hash, ikm, salt) => b.hkdfExtract(hash, ikm, salt),
    hkdfExpand: async (hash, prk, info, length) => b.hkdfExpand(hash, prk, info, length),
    async gcmKey(raw) {
      const key = new Uint8Array(raw);
      return {
        encrypt: async (iv, aad, plaintext) => b.gcmEncrypt(key, iv, aad, plaintext),
        decrypt: async (iv, aad, ciphertext, tag) => b.gcmDecrypt(key, iv, aad, ciphertext, tag),
        destroy: () => void key.fill(0),
      };
    },
    generateSigningKey: async (curve) => b.generateSigningKey(curve),
    async createSigner(key) {
      const signer = b.createSigner(key);
      return { update: (data) => signer.update(data), sign: async () => signer.sign() };
    },
    async createVerifier(curve, point) {
      const verifier = b.createVerifier(curve, point);
      return { update: (data) => verifier.update(data), verify: async (signature) => verifier.verify(signature) };
    },
    timingSafeEqual: (x, y) => b.timingSafeEqual(x, y),
  };
}
