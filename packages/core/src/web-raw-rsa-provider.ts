/**
 * RawRsaKeyProvider on the web entry: the raw RSA key provider (./raw-rsa-core; spec:
 * framework/raw-rsa-keyring.md) on Web Crypto's RSA-OAEP (W3C Web Cryptography API §20; RFC 8017
 * §7.1, MGF1 with the same hash). Web Crypto has no RSAES-PKCS1-v1_5, so `padding: 'pkcs1'` is
 * UNSUPPORTED here. Keys are imported on first use (Web Crypto is async): a key that does not import
 * fails that first call with INVALID_ARGUMENT.
 */
import { toHex } from './bytes';
import { StrongroomError } from './errors';
import type { KeyProvider } from './key-provider';
import { checkRsaNames, rawRsaKeyProvider, type RsaNames, type RsaPadding } from './raw-rsa-core';
import { type RsaKeyDer, rsaKeyDer } from './rsa-key-encoding';
import { type WebKey, webCrypto } from './web-crypto-api';

/**
 * Options of the web entry's `RawRsaKeyProvider`: namespace and name, OAEP padding, and the public key (to encrypt) and/or private key (to decrypt).
 */
export interface RawRsaKeyProviderOptions extends RsaNames {
  /** PEM (SPKI or PKCS#1) or SPKI DER bytes. Needed to encrypt (derived from privateKey if absent). */
  publicKey?: string | Uint8Array;
  /** PEM (PKCS#8 or PKCS#1, unencrypted) or PKCS#8 DER bytes. Needed to decrypt. */
  privateKey?: string | Uint8Array;
}

const HASH: Record<Exclude<RsaPadding, 'pkcs1'>, string> = { 'oaep-sha1': 'SHA-1', 'oaep-sha256': 'SHA-256', 'oaep-sha384': 'SHA-384', 'oaep-sha512': 'SHA-512' };

/**
 * A key provider that wraps data keys with an RSA key pair (Web Crypto RSA-OAEP), compatible with the ESDK raw RSA keyring.
 * @example
 * const provider = RawRsaKeyProvider({ namespace: 'app', name: 'rsa-1', publicKey: spkiPem, privateKey: pkcs8Pem, padding: 'oaep-sha256' });
 * @throws StrongroomError INVALID_ARGUMENT for a missing key, a bad padding or a key that is not PEM/DER; UNSUPPORTED for 'pkcs1'.
 */
export function RawRsaKeyProvider(options: RawRsaKeyProviderOptions): KeyProvider {
  checkRsaNames(options);
  if (options.padding === 'pkcs1') {
    throw new StrongroomError('UNSUPPORTED', "RSA PKCS#1 v1.5 (padding 'pkcs1') is not in Web Crypto: use the Node entry to read legacy pkcs1 messages");
  }
  const privateDer = options.privateKey === undefined ? undefined : rsaKeyDer(options.privateKey, 'private');
  const givenPublicDer = options.publicKey === undefined ? undefined : rsaKeyDer(options.publicKey, 'public');
  if (!privateDer && !givenPublicDer) throw new StrongroomError('INVALID_ARGUMENT', 'give publicKey (to encrypt), privateKey (to decrypt) or both');

  // One imported key per (kind, hash): a Web Crypto RSA-OAEP key is bound to its hash.
  const imported = new Map<string, Promise<WebKey>>();
  function importAs(key: RsaKeyDer, kind: 'public' | 'private', hash: string): Promise<WebKey> {
    const id = `${kind} ${hash}`;
    let found = imported.get(id);
    if (!found) {
      found = webCrypto()
        .importKey(key.format, key.der, { name: 'RSA-OAEP', hash }, false, [kind === 'public' ? 'encrypt' : 'decrypt'])
        .catch((e: unknown) => {
          throw new StrongroomError('INVALID_ARGUMENT', `${kind}Key: not a valid RSA ${kind} key`, { cause: e });
        });
      imported.set(id, found);
    }
    return found;
  }

  /** The public key's SPKI: given, or derived from the private key (its modulus and exponent, via JWK). */
  let publicDer: Promise<RsaKeyDer> | undefined;
  function publicKeyDer(): Promise<RsaKeyDer> {
    publicDer ??= givenPublicDer ? Promise.resolve(givenPublicDer) : spkiOfPrivate(privateDer!);
    return publicDer;
  }

  async function fingerprint(key: RsaKeyDer): Promise<string> {
    // Re-exported by Web Crypto, so the same key gives the same bytes as on Node (canonical DER).
    const subtle = webCrypto();
    const k = await subtle.importKey(key.format, key.der, { name: 'RSA-OAEP', hash: 'SHA-256' }, true, ['encrypt']);
    const spki = new Uint8Array((await subtle.exportKey('spki', k)) as ArrayBuffer);
    return toHex(new Uint8Array(await subtle.digest('SHA-256', spki)));
  }

  return rawRsaKeyProvider(options, {
    hasPublicKey: true,
    hasPrivateKey: privateDer !== undefined,
    randomBytes(length) {
      return (globalThis as unknown as { crypto: { getRandomValues(a: Uint8Array): Uint8Array } }).crypto.getRandomValues(new Uint8Array(length));
    },
    async fingerprints() {
      return {
        public: await fingerprint(givenPublicDer ?? (await publicKeyDer())),
        held: privateDer ? await fingerprint(await spkiOfPrivate(privateDer)) : undefined,
      };
    },
    async encrypt(padding, data) {
      const hash = HASH[padding as keyof typeof HASH];
      const key = await importAs(await publicKeyDer(), 'public', hash);
      return new Uint8Array(await webCrypto().encrypt({ name: 'RSA-OAEP' }, key, data));
    },
    async decrypt(padding, data) {
      const hash = HASH[padding as keyof typeof HASH];
      const key = await importAs(privateDer!, 'private', hash);
      try {
        return new Uint8Array(await webCrypto().decrypt({ name: 'RSA-OAEP' }, key, data));
      } catch (e) {
        throw new StrongroomError('AUTHENTICATION_FAILED', 'RSA decryption of the data key failed', { cause: e });
      }
    },
  });
}

/** The SPKI of a private key's public half: import extractable, export its JWK, keep n and e. */
async function spkiOfPrivate(key: RsaKeyDer): Promise<RsaKeyDer> {
  const subtle = webCrypto();
  let jwk: Record<string, unknown>;
  try {
    const k = await subtle.importKey(key.format, key.der, { name: 'RSA-OAEP', hash: 'SHA-256' }, true, ['decrypt']);
    jwk = (await subtle.exportKey('jwk', k)) as Record<string, unknown>;
  } catch (e) {
    throw new StrongroomError('INVALID_ARGUMENT', 'privateKey: not a valid RSA private key', { cause: e });
  }
  const pub = await subtle.importKey('jwk', { kty: 'RSA', n: jwk.n, e: jwk.e, alg: 'RSA-OAEP-256', ext: true }, { name: 'RSA-OAEP', hash: 'SHA-256' }, true, ['encrypt']);
  return { format: 'spki', der: new Uint8Array((await subtle.exportKey('spki', pub)) as ArrayBuffer) };
}
