/**
 * The Web Crypto backend (W3C Web Cryptography API, https://www.w3.org/TR/webcrypto/): AES-GCM,
 * HMAC and so HKDF (RFC 5869, built from HMAC because Web Crypto's HKDF has no separate Extract, which
 * key commitment needs) on `crypto.subtle`, random bytes from `crypto.getRandomValues`. No Node
 * import and no Buffer: it runs in browsers, workers, Deno, Bun, Cloudflare Workers and Node ≥ 20.
 *
 * ECDSA for the signed suites: Web Crypto's ECDSA hashes the whole message in one call, so a streamed
 * message would have to be buffered. Instead the hash is fed as the message streams and the digest
 * is signed with @noble/curves (./noble-ecdsa, loaded on first use: install `@noble/curves` and
 * `@noble/hashes` to write or read signed suites on this entry). Memory stays bounded.
 */
import type { AsyncCryptoBackend, AsyncGcmKey } from './async-backend';
import { concatBytes } from './bytes';
import { malformed, StrongroomError } from './errors';
import type { KdfHash } from './suites';
import { webCrypto as subtle, type WebKey } from './web-crypto-api';

const HASH = { sha256: { name: 'SHA-256', length: 32 }, sha384: { name: 'SHA-384', length: 48 }, sha512: { name: 'SHA-512', length: 64 } } as const;

function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  // getRandomValues fills at most 65,536 bytes per call (the Web Crypto API's QuotaExceededError).
  for (let at = 0; at < length; at += 65536) (globalThis as unknown as { crypto: { getRandomValues(a: Uint8Array): void } }).crypto.getRandomValues(out.subarray(at, Math.min(length, at + 65536)));
  return out;
}

function hmacKey(hash: KdfHash, key: Uint8Array): Promise<WebKey> {
  return subtle().importKey('raw', key, { name: 'HMAC', hash: HASH[hash].name }, false, ['sign']);
}

async function hmac(key: WebKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().sign('HMAC', key, data));
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

function authenticationFailed(cause: unknown): StrongroomError {
  return new StrongroomError('AUTHENTICATION_FAILED', 'AES-GCM authentication failed: the data was tampered with or the key is wrong', { cause });
}

async function gcmKey(raw: Uint8Array): Promise<AsyncGcmKey> {
  if (raw.length !== 16 && raw.length !== 24 && raw.length !== 32) {
    throw new StrongroomError('INVALID_ARGUMENT', `AES key must be 16, 24 or 32 bytes, got ${raw.length}`);
  }
  let key: WebKey;
  try {
    key = await subtle().importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
  } catch (e) {
    // Chromium's Web Crypto has no AES-192 (the 0x0046, 0x0146 and 0x0346 suites use it).
    throw new StrongroomError('UNSUPPORTED', `This runtime's Web Crypto cannot use a ${raw.length * 8}-bit AES key; pass \`backend: nobleBackend\` from @strongroom/core/noble`, { cause: e });
  }
  return {
    async encrypt(iv, aad, plaintext) {
      const sealed = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 }, key, concatBytes(plaintext)));
      const cut = sealed.length - 16;
      return { ciphertext: [sealed.subarray(0, cut)], tag: sealed.subarray(cut) };
    },
    async decrypt(iv, aad, ciphertext, tag) {
      // Web Crypto takes ciphertext ‖ tag in one buffer: one frame, so memory stays bounded.
      const sealed = concatBytes([...ciphertext, tag]);
      let plaintext: ArrayBuffer;
      try {
        plaintext = await subtle().decrypt({ name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 }, key, sealed);
      } catch (e) {
        throw authenticationFailed(e);
      }
      return [new Uint8Array(plaintext)];
    },
    destroy() {
      // A non-extractable WebKey: nothing to wipe; dropping the reference frees it.
    },
  };
}

type Ecdsa = typeof import('./noble-ecdsa');
let ecdsa: Promise<Ecdsa> | undefined;

/** @noble/curves and @noble/hashes, loaded once, on the first signed message. */
function loadEcdsa(): Promise<Ecdsa> {
  ecdsa ??= import('./noble-ecdsa').catch((e: unknown) => {
    ecdsa = undefined;
    throw new StrongroomError(
      'UNSUPPORTED',
      'Signed suites on this entry sign and verify with @noble/curves over a streamed hash: install @noble/curves and @noble/hashes (optional peer dependencies)',
      { cause: e },
    );
  });
  return ecdsa;
}

/** The crypto backend on Web Crypto (`crypto.subtle`): the web entry's default. */
export const webBackend: AsyncCryptoBackend = {
  name: 'webcrypto',
  async: true,
  randomBytes,

  async hkdfExtract(hash, ikm, salt) {
    // RFC 5869 §2.2: no salt means HashLen zero bytes (Web Crypto refuses a zero-length HMAC key).
    return hmac(await hmacKey(hash, salt && salt.length > 0 ? salt : new Uint8Array(HASH[hash].length)), ikm);
  },

  async hkdfExpand(hash, prk, info, length) {
    const hashLength = HASH[hash].length;
    if (length > 255 * hashLength) throw new StrongroomError('INVALID_ARGUMENT', `HKDF output of ${length} bytes exceeds 255 × HashLen`);
    const key = await hmacKey(hash, prk);
    const out = new Uint8Array(length);
    let previous: Uint8Array = new Uint8Array(0);
    for (let offset = 0, counter = 1; offset < length; counter++) {
      const block = await hmac(key, concatBytes([previous, info, Uint8Array.of(counter)]));
      previous.fill(0);
      previous = block;
      out.set(block.subarray(0, Math.min(hashLength, length - offset)), offset);
      offset += hashLength;
    }
    previous.fill(0);
    return out;
  },

  gcmKey,

  generateSigningKey: async (curve) => (await loadEcdsa()).nobleSigningKey(curve),

  async createSigner(key) {
    const signer = (await loadEcdsa()).nobleSigner(key);
    return { update: (data) => signer.update(data), sign: async () => signer.sign() };
  },

  async createVerifier(curve, compressedPublicKey) {
    const verifier = (await loadEcdsa()).nobleVerifier(curve, compressedPublicKey);
    if (!verifier) throw malformed(`The message's signing public key is not a valid ${curve} point`);
    return { update: (data) => verifier.update(data), verify: async (signature) => verifier.verify(signature) };
  },

  timingSafeEqual: constantTimeEqual,
};
