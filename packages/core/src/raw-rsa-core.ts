/**
 * The raw RSA key provider for every entry, compatible with the AWS Encryption SDK raw RSA keyring
 * (spec: framework/raw-rsa-keyring.md): providerId = namespace, providerInfo = key name, ciphertext =
 * RSA(data key). The encryption context is not bound into the wrap (it is authenticated by the header
 * tag). The entries supply the RSA operations: node:crypto (./raw-rsa-provider) or Web Crypto
 * (./web-raw-rsa-provider).
 */
import { equalBytes, utf8 } from './bytes';
import { instanceIdentity } from './cache-identity';
import { StrongroomError, throwIfAborted } from './errors';
import type { KeyProvider } from './key-provider';

/** RSA padding of `RawRsaKeyProvider`: OAEP with SHA-1…512 (MGF1 with the same hash), or PKCS#1 v1.5 (legacy). */
export type RsaPadding = 'oaep-sha1' | 'oaep-sha256' | 'oaep-sha384' | 'oaep-sha512' | 'pkcs1';

const PADDINGS: readonly RsaPadding[] = ['oaep-sha1', 'oaep-sha256', 'oaep-sha384', 'oaep-sha512', 'pkcs1'];

/** What the raw RSA options have in common on every entry (the key types differ). */
export interface RsaNames {
  namespace: string;
  name: string;
  padding: RsaPadding;
  /** Required to use `padding: 'pkcs1'` (legacy, not recommended). */
  allowLegacyPkcs1?: boolean;
}

/** The entry's RSA operations on the provider's key pair. */
export interface RsaOperations {
  readonly hasPublicKey: boolean;
  readonly hasPrivateKey: boolean;
  encrypt(padding: RsaPadding, data: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** Rejects with a typed error (AUTHENTICATION_FAILED when the ciphertext does not open). */
  decrypt(padding: RsaPadding, data: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** SHA-256 of the SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7), hex, of the public key and of the private key's pair. */
  fingerprints(): { public: string | undefined; held: string | undefined } | Promise<{ public: string | undefined; held: string | undefined }>;
  randomBytes(length: number): Uint8Array;
}

/** Check namespace, name and padding; returns them. */
export function checkRsaNames(options: RsaNames): RsaNames {
  const { namespace, name, padding } = options ?? ({} as RsaNames);
  if (typeof namespace !== 'string' || namespace.length === 0) throw new StrongroomError('INVALID_ARGUMENT', 'namespace: expected a non-empty string');
  if (namespace.startsWith('aws-kms')) throw new StrongroomError('INVALID_ARGUMENT', 'namespace: "aws-kms" is reserved for KMS');
  if (typeof name !== 'string' || name.length === 0) throw new StrongroomError('INVALID_ARGUMENT', 'name: expected a non-empty string');
  if (!PADDINGS.includes(padding)) throw new StrongroomError('INVALID_ARGUMENT', `padding: expected one of ${PADDINGS.join(', ')}`);
  if (padding === 'pkcs1' && !options.allowLegacyPkcs1) {
    throw new StrongroomError('INVALID_ARGUMENT', "padding: 'pkcs1' is legacy; set allowLegacyPkcs1: true to use it");
  }
  return options;
}

/** The provider over the entry's RSA operations. */
export function rawRsaKeyProvider(options: RsaNames, rsa: RsaOperations): KeyProvider {
  const { namespace, name, padding } = checkRsaNames(options);
  const nameBytes = utf8(name);

  // Cache identities. Decrypt: the key pair of the private key held (only its holder can state it).
  // Encrypt: the public key used to wrap, plus the private key held — knowing a public key is no
  // credential, so a public-key-only provider shares its cached data keys with no other instance.
  type Identities = { decrypt: string | undefined; encrypt: string | undefined; held: boolean };
  let identities: Identities | Promise<Identities> | undefined;
  const identitiesOf = (f: { public: string | undefined; held: string | undefined }): Identities => ({
    decrypt: f.held && JSON.stringify(['raw-rsa', namespace, name, padding, f.held]),
    encrypt: f.public && JSON.stringify(['raw-rsa', namespace, name, padding, f.public, f.held ?? null]),
    held: f.held !== undefined,
  });
  const identityFor = (ids: Identities, purpose: 'encrypt' | 'decrypt') =>
    purpose === 'encrypt' && !ids.held ? ids.encrypt && `${ids.encrypt}${instanceIdentity(ids)}` : ids[purpose];

  function encryptWith(hashPadding: RsaPadding, data: Uint8Array): Uint8Array | Promise<Uint8Array> {
    if (!rsa.hasPublicKey) throw new StrongroomError('INVALID_ARGUMENT', `RawRsaKeyProvider "${name}" has no public key and cannot encrypt`);
    return rsa.encrypt(hashPadding, data);
  }

  function decryptWith(hashPadding: RsaPadding, data: Uint8Array): Uint8Array | Promise<Uint8Array> {
    if (!rsa.hasPrivateKey) throw new StrongroomError('INVALID_ARGUMENT', `RawRsaKeyProvider "${name}" has no private key and cannot decrypt`);
    return rsa.decrypt(hashPadding, data);
  }

  return {
    providerId: namespace,
    cacheIdentity(purpose) {
      identities ??= (() => {
        const f = rsa.fingerprints();
        return f instanceof Promise ? f.then(identitiesOf) : identitiesOf(f);
      })();
      return identities instanceof Promise ? identities.then((ids) => identityFor(ids, purpose)) : identityFor(identities, purpose);
    },
    async generateDataKey(request) {
      throwIfAborted(request.abortSignal);
      const plaintextKey = rsa.randomBytes(request.suite.keyLength);
      try {
        return { plaintextKey, encryptedDataKey: { providerId: namespace, providerInfo: nameBytes, ciphertext: await encryptWith(padding, plaintextKey) } };
      } catch (e) {
        plaintextKey.fill(0);
        throw e;
      }
    },
    async encryptDataKey(request) {
      throwIfAborted(request.abortSignal);
      return { providerId: namespace, providerInfo: nameBytes, ciphertext: await encryptWith(padding, request.plaintextKey) };
    },
    async decryptDataKey({ encryptedDataKey: edk, abortSignal }) {
      throwIfAborted(abortSignal);
      if (edk.providerId !== namespace || !equalBytes(edk.providerInfo, nameBytes)) return undefined;
      if (!rsa.hasPrivateKey) return undefined;
      return decryptWith(padding, edk.ciphertext);
    },
    keyWrap: {
      algorithm: 'rsa-oaep-sha1',
      async wrap({ plaintext, abortSignal }) {
        throwIfAborted(abortSignal);
        return encryptWith('oaep-sha1', plaintext);
      },
      async unwrap({ wrapped, abortSignal }) {
        throwIfAborted(abortSignal);
        return decryptWith('oaep-sha1', wrapped);
      },
    },
  };
}
