/**
 * RawAesKeyProvider of the web entries (`@strongroom/core` in browsers and workers, and
 * `@strongroom/core/streams`): ./raw-aes-core over Web Crypto.
 */
import { toAsyncBackend } from './async-backend';
import { secretKeyFingerprintAsync } from './cache-identity';
import type { KeyProvider } from './key-provider';
import { rawAesKeyProvider, type RawAesKeyProviderOptions } from './raw-aes-core';
import { webBackend } from './web-backend';

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
