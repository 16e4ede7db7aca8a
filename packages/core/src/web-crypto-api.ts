/**
 * The part of the W3C Web Cryptography API (https://www.w3.org/TR/webcrypto/) the web entry uses,
 * typed structurally so the package needs neither the DOM library nor Node's types to compile it.
 * `webCrypto()` finds the runtime's `crypto.subtle` or says what to do instead.
 */
import { StrongroomError } from './errors';

/** An opaque Web Crypto key handle (`CryptoKey`). */
export type WebKey = { readonly type: string; readonly algorithm: object };
type Algorithm = string | Record<string, unknown>;
type KeyData = Uint8Array | Record<string, unknown>;

export interface Subtle {
  importKey(format: 'raw' | 'spki' | 'pkcs8' | 'jwk', keyData: KeyData, algorithm: Algorithm, extractable: boolean, usages: string[]): Promise<WebKey>;
  exportKey(format: 'spki' | 'jwk' | 'raw' | 'pkcs8', key: WebKey): Promise<ArrayBuffer | Record<string, unknown>>;
  sign(algorithm: Algorithm, key: WebKey, data: Uint8Array): Promise<ArrayBuffer>;
  encrypt(algorithm: Algorithm, key: WebKey, data: Uint8Array): Promise<ArrayBuffer>;
  decrypt(algorithm: Algorithm, key: WebKey, data: Uint8Array): Promise<ArrayBuffer>;
  digest(algorithm: Algorithm, data: Uint8Array): Promise<ArrayBuffer>;
}

/** The runtime's `crypto.subtle`; UNSUPPORTED when there is none. */
export function webCrypto(): Subtle {
  const s = (globalThis as { crypto?: { subtle?: Subtle } }).crypto?.subtle;
  if (!s) {
    throw new StrongroomError(
      'UNSUPPORTED',
      'Web Crypto (crypto.subtle) is not available: browsers expose it only to secure contexts (https:, localhost); ' +
        'where a runtime has none, pass `backend: nobleBackend` from @strongroom/core/noble',
    );
  }
  return s;
}
