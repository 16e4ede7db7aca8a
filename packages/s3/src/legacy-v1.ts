/**
 * Reading V1 objects of the S3 Encryption Client whose data key is wrapped with a raw key: Java's
 * "AES" (AES/ECB/PKCS5Padding) and "RSA" (RSA/ECB/PKCS1Padding, PKCS#1 v1.5 encryption, RFC 8017
 * §7.2), which the Ruby `Aws::S3::Encryption::Client` also writes (spec:
 * s3-encryption/data-format/content-metadata.md, V1: `x-amz-key`, no `x-amz-wrap-alg`; content
 * AES/CBC/PKCS5Padding).
 *
 * These wraps need the key bytes themselves, which a `KeyProvider` never exposes. So only providers
 * made here, which hold the raw key, offer the unwrap: `legacyRawAesKeyProvider` /
 * `legacyRawRsaKeyProvider` build the ordinary core provider (it writes the current formats) and
 * register the legacy unwrap for it in a private WeakMap (an object cannot claim the capability by
 * carrying a property). Reading V1 also needs both legacy flags of the client.
 *
 * Padding-oracle hygiene: a bad AES/ECB padding (wrong key), a bad RSA PKCS#1 padding and a bad
 * AES-CBC content padding all end in the same `AUTHENTICATION_FAILED` error with the same message
 * and no cause. RSA uses implicit rejection (as OpenSSL 3.2 does for PKCS#1 v1.5): a ciphertext with
 * invalid padding yields a pseudo-random key (HMAC of the ciphertext under a per-provider secret),
 * chosen without branching on the padding check, so the failure surfaces only as the content's
 * padding error — Bleichenbacher's oracle sees no difference (RFC 8017 §7.2.2 note; the
 * "Marvin" attack is why the check is done without early exits).
 */
import { constants, createDecipheriv, createHmac, createPrivateKey, KeyObject, privateDecrypt, randomBytes } from 'node:crypto';
import {
  RawAesKeyProvider,
  RawRsaKeyProvider,
  StrongroomError,
  type KeyProvider,
  type RawAesKeyProviderOptions,
  type RawRsaKeyProviderOptions,
} from '@strongroom/core';
import type { Envelope } from './envelope';

const V1_DATA_KEY_LENGTH = 32;

/** The one error every V1 / AES-CBC decryption failure gives (wrong key, bad padding, modified object). */
export function legacyDecryptFailed(): StrongroomError {
  return new StrongroomError(
    'AUTHENTICATION_FAILED',
    'legacy AES-CBC object did not decrypt: the key is not the one it was written with, or the object was modified',
  );
}

interface LegacyUnwrap {
  readonly kind: 'aes-ecb' | 'rsa-pkcs1';
  /** RSA: modulus length in bytes; the wrapped key has exactly this length. */
  readonly size: number;
  /** AES: throws legacyDecryptFailed(). RSA: never throws; `ok` says whether the padding was valid. */
  unwrap(wrapped: Uint8Array): { key: Buffer; ok: boolean };
}

const registry = new WeakMap<KeyProvider, LegacyUnwrap>();

/**
 * A `RawAesKeyProvider` that can also unwrap V1 data keys wrapped with AES/ECB (Java "AES", Ruby V1).
 * @throws StrongroomError INVALID_ARGUMENT as RawAesKeyProvider does.
 */
export function legacyRawAesKeyProvider(options: RawAesKeyProviderOptions): KeyProvider {
  const provider = RawAesKeyProvider(options);
  const key = Buffer.from(options.key); // validated (16/24/32 bytes) by RawAesKeyProvider
  const cipher = `aes-${key.length * 8}-ecb`;
  registry.set(provider, {
    kind: 'aes-ecb',
    size: key.length,
    unwrap(wrapped) {
      let out: Buffer;
      try {
        const d = createDecipheriv(cipher, key, null);
        out = Buffer.concat([d.update(wrapped), d.final()]);
      } catch {
        throw legacyDecryptFailed();
      }
      if (out.length !== V1_DATA_KEY_LENGTH) {
        out.fill(0);
        throw legacyDecryptFailed();
      }
      return { key: out, ok: true };
    },
  });
  return provider;
}

function privateKeyOf(input: RawRsaKeyProviderOptions['privateKey']): KeyObject {
  if (input === undefined) throw new StrongroomError('INVALID_ARGUMENT', 'privateKey: the legacy RSA unwrap needs the private key');
  if (input instanceof KeyObject) return input;
  const pem = typeof input === 'string' || Buffer.from(input.subarray(0, 10)).toString('latin1').startsWith('-----');
  return pem ? createPrivateKey(typeof input === 'string' ? input : Buffer.from(input)) : createPrivateKey({ key: Buffer.from(input), format: 'der', type: 'pkcs8' });
}

/**
 * PKCS#1 v1.5 decoding of a 32-byte message, without branches on secret data: returns the message
 * when `em` = 00 02 PS(≥ 8 non-zero bytes) 00 M with |M| = 32, else `fallback`.
 */
export function pkcs1Decode32(em: Uint8Array, fallback: Uint8Array): { key: Buffer; ok: boolean } {
  const k = em.length;
  const sep = k - V1_DATA_KEY_LENGTH - 1;
  let bad = sep < 10 ? 1 : 0; // public: the modulus length
  bad |= em[0]! | (em[1]! ^ 0x02) | em[sep]!;
  for (let i = 2; i < sep; i++) bad |= ((em[i]! - 1) >>> 31) & 1; // a zero byte inside PS
  const okMask = ((bad - 1) >>> 31) * 0xff; // 0xff when bad === 0, else 0
  const key = Buffer.alloc(V1_DATA_KEY_LENGTH);
  for (let i = 0; i < V1_DATA_KEY_LENGTH; i++) key[i] = (em[sep + 1 + i]! & okMask) | (fallback[i]! & ~okMask & 0xff);
  return { key, ok: okMask === 0xff };
}

/**
 * A `RawRsaKeyProvider` that can also unwrap V1 data keys wrapped with RSA PKCS#1 v1.5 (Java "RSA",
 * Ruby V1). The private decryption is raw RSA (Node 20 refuses PKCS#1 v1.5 private decryption,
 * CVE-2023-46809) followed by the decoding above, with implicit rejection.
 * @throws StrongroomError INVALID_ARGUMENT as RawRsaKeyProvider does, or without a private key.
 */
export function legacyRawRsaKeyProvider(options: RawRsaKeyProviderOptions): KeyProvider {
  const provider = RawRsaKeyProvider(options);
  const privateKey = privateKeyOf(options.privateKey);
  const size = Math.ceil((privateKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  const secret = randomBytes(32);
  registry.set(provider, {
    kind: 'rsa-pkcs1',
    size,
    unwrap(wrapped) {
      const fallback = createHmac('sha256', secret).update(wrapped).digest();
      let em: Buffer;
      try {
        em = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, wrapped);
      } catch {
        em = Buffer.alloc(size); // not below the modulus: public, and decoded as invalid
      }
      const out = pkcs1Decode32(em, fallback);
      em.fill(0);
      fallback.fill(0);
      return out;
    },
  });
  return provider;
}

/**
 * Unwrap the data key of a V1 object wrapped with a raw key. The wrapped key's length tells the
 * wraps apart (AES/ECB of 32 bytes: 48 bytes; RSA: the modulus length).
 * @throws StrongroomError NO_DECRYPTION_KEY when no configured provider offers a legacy unwrap of
 *   that kind (the message names the factory to use), AUTHENTICATION_FAILED (legacyDecryptFailed).
 */
export function unwrapV1RawKey(providers: readonly KeyProvider[], env: Pick<Envelope, 'encryptedKey'>): Buffer {
  const wrapped = env.encryptedKey;
  const candidates = providers.map((p) => registry.get(p)).filter((u): u is LegacyUnwrap => u !== undefined);
  const aes = candidates.filter((u) => u.kind === 'aes-ecb' && wrapped.length === 48);
  const rsa = candidates.filter((u) => u.kind === 'rsa-pkcs1' && wrapped.length === u.size);
  if (aes.length === 0 && rsa.length === 0) {
    throw new StrongroomError(
      'NO_DECRYPTION_KEY',
      `no configured key provider can unwrap this V1 object's ${wrapped.length === 48 ? 'AES/ECB' : 'RSA PKCS#1'}-wrapped data key: ` +
        'create the raw key provider with legacyRawAesKeyProvider or legacyRawRsaKeyProvider from @strongroom/s3',
    );
  }
  for (const u of aes) {
    try {
      return u.unwrap(wrapped).key;
    } catch {
      // next AES key; all failing is reported below as the one legacy error
    }
  }
  let chosen: Buffer | undefined;
  for (const u of rsa) {
    const r = u.unwrap(wrapped);
    if (r.ok && !chosen) chosen = r.key;
    else if (!chosen && u === rsa.at(-1)) chosen = r.key; // implicit rejection: a pseudo-random key
    else r.key.fill(0);
  }
  if (chosen) return chosen;
  throw legacyDecryptFailed();
}
