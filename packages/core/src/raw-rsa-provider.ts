/**
 * RawRsaKeyProvider: wraps data keys with an RSA key pair, compatible with the AWS Encryption SDK
 * raw RSA keyring. spec: framework/raw-rsa-keyring.md.
 *   providerId = namespace, providerInfo = key name, ciphertext = RSA(data key).
 * The encryption context is not bound into the wrap (it is authenticated by the header tag).
 * PKCS#1 v1.5 is legacy and needs `allowLegacyPkcs1: true` (and, on Node 20 for decryption,
 * `--security-revert=CVE-2023-46809`; Node 22 and 24 decrypt it with OpenSSL's implicit rejection).
 */
import * as crypto from 'node:crypto';
import { StrongroomError } from './errors';
import type { KeyProvider } from './key-provider';
import { publicKeyFingerprint } from './node-fingerprints';
import { checkRsaNames, rawRsaKeyProvider, type RsaNames, type RsaPadding } from './raw-rsa-core';

export type { RsaPadding } from './raw-rsa-core';
type KeyInput = crypto.KeyObject | string | Uint8Array;

/**
 * Options of {@link RawRsaKeyProvider}: namespace and name, padding, and the public key (to encrypt) and/or private key (to decrypt).
 */
export interface RawRsaKeyProviderOptions extends RsaNames {
  /** PEM/DER (SPKI or PKCS#1) or KeyObject. Needed to encrypt. */
  publicKey?: KeyInput;
  /** PEM/DER (PKCS#8 or PKCS#1) or KeyObject. Needed to decrypt. */
  privateKey?: KeyInput;
}

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
 * A key provider that wraps data keys with an RSA key pair (node:crypto), compatible with the ESDK raw RSA keyring.
 * @example
 * const provider = RawRsaKeyProvider({ namespace: 'app', name: 'rsa-1', publicKey, privateKey, padding: 'oaep-sha256' });
 * @throws StrongroomError INVALID_ARGUMENT for a missing/invalid key or padding.
 */
export function RawRsaKeyProvider(options: RawRsaKeyProviderOptions): KeyProvider {
  checkRsaNames(options);
  const privateKey = keyObject(options.privateKey, 'private');
  const publicKey = keyObject(options.publicKey, 'public') ?? (privateKey ? crypto.createPublicKey(privateKey) : undefined);
  if (!publicKey && !privateKey) throw new StrongroomError('INVALID_ARGUMENT', 'give publicKey (to encrypt), privateKey (to decrypt) or both');
  if (publicKey && publicKey.asymmetricKeyType !== 'rsa') throw new StrongroomError('INVALID_ARGUMENT', 'publicKey: not an RSA key');
  if (privateKey && privateKey.asymmetricKeyType !== 'rsa') throw new StrongroomError('INVALID_ARGUMENT', 'privateKey: not an RSA key');
  const fingerprints = {
    public: publicKey && publicKeyFingerprint(publicKey),
    held: privateKey && publicKeyFingerprint(crypto.createPublicKey(privateKey)),
  };

  const rsaOptions = (hashPadding: RsaPadding) =>
    hashPadding === 'pkcs1'
      ? { padding: crypto.constants.RSA_PKCS1_PADDING }
      : { padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hashPadding.slice(5) };

  return rawRsaKeyProvider(options, {
    hasPublicKey: publicKey !== undefined,
    hasPrivateKey: privateKey !== undefined,
    randomBytes: (length) => crypto.randomBytes(length),
    fingerprints: () => fingerprints,
    encrypt: (hashPadding, data) => crypto.publicEncrypt({ key: publicKey!, ...rsaOptions(hashPadding) }, data),
    decrypt(hashPadding, data) {
      try {
        return crypto.privateDecrypt({ key: privateKey!, ...rsaOptions(hashPadding) }, data);
      } catch (e) {
        const message = (e as Error).message ?? '';
        if (message.includes('security-revert')) {
          throw new StrongroomError('UNSUPPORTED', 'RSA PKCS#1 v1.5 decryption is disabled in this Node.js (CVE-2023-46809); run node with --security-revert=CVE-2023-46809', { cause: e });
        }
        throw new StrongroomError('AUTHENTICATION_FAILED', 'RSA decryption of the data key failed', { cause: e });
      }
    },
  });
}
