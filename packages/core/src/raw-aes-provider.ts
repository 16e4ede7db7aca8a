/**
 * RawAesKeyProvider on the Node entry: the raw AES key provider (./raw-aes-core; spec:
 * framework/raw-aes-keyring.md) with node:crypto as its default backend and its cache identity,
 * an HMAC-SHA-256 fingerprint of the key (RFC 2104), computed at construction.
 */
import type { KeyProvider } from './key-provider';
import { nodeBackend } from './node-backend';
import { secretKeyFingerprint } from './node-fingerprints';
import { rawAesKeyProvider, type RawAesKeyProviderOptions } from './raw-aes-core';

export type { RawAesKeyProviderOptions } from './raw-aes-core';

const NODE_DEFAULTS = { backend: nodeBackend, fingerprint: secretKeyFingerprint };

/**
 * A key provider that wraps data keys with a local 128, 192 or 256-bit AES key (AES-GCM), byte-compatible with the ESDK raw AES keyring.
 * @example
 * const provider = RawAesKeyProvider({ namespace: 'my-app', name: 'key-2026', key: crypto.randomBytes(32) });
 * @throws StrongroomError INVALID_ARGUMENT for a bad namespace, name or key length.
 */
export function RawAesKeyProvider(options: RawAesKeyProviderOptions): KeyProvider {
  return rawAesKeyProvider(options, NODE_DEFAULTS);
}
