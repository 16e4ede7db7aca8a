/**
 * RawRsaKeyProvider: wraps data keys with an RSA key pair, compatible with the AWS Encryption SDK
 * raw RSA keyring. spec: framework/raw-rsa-keyring.md.
 *   providerId = namespace, providerInfo = key name, ciphertext = RSA(data key).
 * The encryption context is not bound into the wrap (it is authenticated by the header tag).
 * PKCS#1 v1.5 is legacy and needs `allowLegacyPkcs1: true` (and, on Node ≥ 20 for decryption,
 * `--security-revert=CVE-2023-46809`).
 */
import * as crypto from 'node:crypto';
import { equalBytes, utf8 } from './bytes';
import { instanceIdentity } from './cache-identity';
import { publicKeyFingerprint } from './node-fingerprints';
import { StrongroomError, throwIfAborted } from './errors';
import type { KeyProvider } from './key-provider';

/** RSA padding of {@link RawRsaKeyProvider}: OAEP with SHA-1…512 (MGF1 with the same hash), or PKCS#1 v1.5 (legacy). */
export type RsaPadding = 'oaep-sha1' | 'oaep-sha256' | 'oaep-sha384' | 'oaep-sha512' | 'pkcs1';
type KeyInput = crypto.KeyObject | string | Uint8Array;

/**
 * Options of {@link RawRsaKeyProvider}: namespace and name, padding, and the public key (to encrypt) and/or private key (to decrypt).
 */
export interface RawRsaKeyProviderOptions {
  namespace: string;
  name: string;
  /** PEM/DER (SPKI or PKCS#1) or KeyObject. Needed to encrypt. */
  publicKey?: KeyInput;
  /** PEM/DER (PKCS#8 or PKCS#1) or KeyObject. Needed to decrypt. */
  privateKey?: KeyInput;
  padding: RsaPadding;
  /** Required to use `padding: 'pkcs1'` (legacy, not recommended). */
  allowLegacyPkcs1?: boolean;
}

const PADDINGS: readonly RsaPadding[] = ['oaep-sha1', 'oaep-sha256', 'oaep-sha384', 'oaep-sha512', 'pkcs1'];

function keyObject(input: KeyInput | undefined, kind: 'public' | 'private'): crypto.KeyObject | undefined {
  if (input === undefined) return undefined;
  try {
    if (input instanceof crypto.KeyObject) return input;
    const asDer = input instanceof Uint8Array && !Buffer.from(input.subarray(0, 10)).toString('latin1').startsWith('-----');
    const source = asDer ? { key: Buffer.from(input), format: 'der' as const, type: kind === 'public' ? ('spki' as const) : ('pkcs8' as const) } : input;
    return kind === 'public' ? crypto.createPublicKey(source as crypto.PublicKeyInput) : crypto.createPrivateKey(source as crypto.PrivateKeyInput);
  } catch (e) {
    throw new StrongroomError('INVALID_ARGUMENT', `${kind}Key: not a valid RSA ${kind} key`, { cause: e });
  }
}

/**
 * @example
 * const provider = RawRsaKeyProvider({ namespace: 'app', name: 'rsa-1', publicKey, privateKey, padding: 'oaep-sha256' });
 * @throws StrongroomError INVALID_ARGUMENT for a missing/invalid key or padding.
 */
export function RawRsaKeyProvider(options: RawRsaKeyProviderOptions): KeyProvider {
  const { namespace, name, padding } = options ?? ({} as RawRsaKeyProviderOptions);
  if (typeof namespace !== 'string' || namespace.length === 0) throw new StrongroomError('INVALID_ARGUMENT', 'namespace: expected a non-empty string');
  if (namespace.startsWith('aws-kms')) throw new StrongroomError('INVALID_ARGUMENT', 'namespace: "aws-kms" is reserved for KMS');
  if (typeof name !== 'string' || name.length === 0) throw new StrongroomError('INVALID_ARGUMENT', 'name: expected a non-empty string');
  if (!PADDINGS.includes(padding)) throw new StrongroomError('INVALID_ARGUMENT', `padding: expected one of ${PADDINGS.join(', ')}`);
  if (padding === 'pkcs1' && !options.allowLegacyPkcs1) {
    throw new StrongroomError('INVALID_ARGUMENT', "padding: 'pkcs1' is legacy; set allowLegacyPkcs1: true to use it");
  }
  const privateKey = keyObject(options.privateKey, 'private');
  const publicKey = keyObject(options.publicKey, 'public') ?? (privateKey ? crypto.createPublicKey(privateKey) : undefined);
  if (!publicKey && !privateKey) throw new StrongroomError('INVALID_ARGUMENT', 'give publicKey (to encrypt), privateKey (to decrypt) or both');
  if (publicKey && publicKey.asymmetricKeyType !== 'rsa') throw new StrongroomError('INVALID_ARGUMENT', 'publicKey: not an RSA key');
  if (privateKey && privateKey.asymmetricKeyType !== 'rsa') throw new StrongroomError('INVALID_ARGUMENT', 'privateKey: not an RSA key');
  const nameBytes = utf8(name);
  // Cache identities. Decrypt: the key pair of the private key held (only its holder can state it).
  // Encrypt: the public key used to wrap, plus the private key held — knowing a public key is no
  // credential, so a public-key-only provider shares its cached data keys with no other instance.
  const heldPair = privateKey ? publicKeyFingerprint(crypto.createPublicKey(privateKey)) : undefined;
  const identities = {
    decrypt: heldPair && JSON.stringify(['raw-rsa', namespace, name, padding, heldPair]),
    encrypt: publicKey && JSON.stringify(['raw-rsa', namespace, name, padding, publicKeyFingerprint(publicKey), heldPair ?? null]),
  };

  const rsaOptions = (hashPadding: RsaPadding) =>
    hashPadding === 'pkcs1'
      ? { padding: crypto.constants.RSA_PKCS1_PADDING }
      : { padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hashPadding.slice(5) };

  function encryptWith(hashPadding: RsaPadding, data: Uint8Array): Uint8Array {
    if (!publicKey) throw new StrongroomError('INVALID_ARGUMENT', `RawRsaKeyProvider "${name}" has no public key and cannot encrypt`);
    return crypto.publicEncrypt({ key: publicKey, ...rsaOptions(hashPadding) }, data);
  }

  function decryptWith(hashPadding: RsaPadding, data: Uint8Array): Uint8Array {
    if (!privateKey) throw new StrongroomError('INVALID_ARGUMENT', `RawRsaKeyProvider "${name}" has no private key and cannot decrypt`);
    try {
      return crypto.privateDecrypt({ key: privateKey, ...rsaOptions(hashPadding) }, data);
    } catch (e) {
      const message = (e as Error).message ?? '';
      if (message.includes('security-revert')) {
        throw new StrongroomError('UNSUPPORTED', 'RSA PKCS#1 v1.5 decryption is disabled in this Node.js (CVE-2023-46809); run node with --security-revert=CVE-2023-46809', { cause: e });
      }
      throw new StrongroomError('AUTHENTICATION_FAILED', 'RSA decryption of the data key failed', { cause: e });
    }
  }

  return {
    providerId: namespace,
    cacheIdentity(purpose) {
      return purpose === 'encrypt' && heldPair === undefined ? identities.encrypt && `${identities.encrypt}${instanceIdentity(identities)}` : identities[purpose];
    },
    async generateDataKey(request) {
      throwIfAborted(request.abortSignal);
      const plaintextKey = crypto.randomBytes(request.suite.keyLength);
      return { plaintextKey, encryptedDataKey: { providerId: namespace, providerInfo: nameBytes, ciphertext: encryptWith(padding, plaintextKey) } };
    },
    async encryptDataKey(request) {
      throwIfAborted(request.abortSignal);
      return { providerId: namespace, providerInfo: nameBytes, ciphertext: encryptWith(padding, request.plaintextKey) };
    },
    async decryptDataKey({ encryptedDataKey: edk, abortSignal }) {
      throwIfAborted(abortSignal);
      if (edk.providerId !== namespace || !equalBytes(edk.providerInfo, nameBytes)) return undefined;
      if (!privateKey) return undefined;
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
