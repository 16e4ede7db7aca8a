/**
 * `@strongroom/core` for browsers, workers, Deno and Cloudflare Workers (the `browser`, `worker`,
 * `workerd`, `deno` and `default` export conditions): the same message format and API as the Node
 * entry, with the Web Crypto backend and WHATWG streams, and no Node import and no `Buffer`
 * anywhere in it (the build checks). See README.md, "Runtimes and entries". Where a runtime has no Web Crypto, pass
 * `backend: nobleBackend` from `@strongroom/core/noble`.
 *
 * @module \@strongroom/core (web)
 */
import { toAsyncBackend } from './async-backend';
import { secretKeyFingerprintAsync } from './cache-identity';
import type { KeyProvider } from './key-provider';
import { rawAesKeyProvider, type RawAesKeyProviderOptions } from './raw-aes-core';
import { webBackend } from './web-backend';

export * from './shared-exports';
export { toAsyncBackend, type AsyncCryptoBackend, type AsyncGcmKey, type AsyncIncrementalSigner, type AsyncIncrementalVerifier } from './async-backend';
export { webBackend } from './web-backend';
export { createClient, type ClientOptions, type CryptoStream, type Input, type OpenedHeader, type StrongroomClient } from './web-client';
export { type WorkerPool, type WorkerPoolOptions } from './pool/pool-core';
export { createWorkerPool } from './pool/web-pool-handle';
export { RawRsaKeyProvider, type RawRsaKeyProviderOptions } from './web-raw-rsa-provider';
export { FRAMED_SUITE_ID } from './suites';
export type { WebFramedMessage, WebFramedSealer, WebFrameRunReader } from './web-framed';

const WEB_DEFAULTS = {
  backend: webBackend,
  fingerprint: (key: Uint8Array, backend: Parameters<typeof toAsyncBackend>[0]) => secretKeyFingerprintAsync(toAsyncBackend(backend), key),
};

/**
 * A key provider that wraps data keys with a local 128, 192 or 256-bit AES key (AES-GCM), byte-compatible with the ESDK raw AES keyring.
 * On the web entry it wraps with Web Crypto by default; its cache identity (an HMAC-SHA-256 fingerprint of the key) is computed on first use.
 * @example
 * const provider = RawAesKeyProvider({ namespace: 'my-app', name: 'key-2026', key: crypto.getRandomValues(new Uint8Array(32)) });
 * @throws StrongroomError INVALID_ARGUMENT for a bad namespace, name or key length.
 */
export function RawAesKeyProvider(options: RawAesKeyProviderOptions): KeyProvider {
  return rawAesKeyProvider(options, WEB_DEFAULTS);
}
