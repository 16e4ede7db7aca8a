/**
 * `@strongroom/core` — envelope encryption in the AWS Encryption SDK message format, with pluggable
 * key providers. See README.md and docs/format.md. The pure-JS `@noble` backend is the separate entry
 * `@strongroom/core/noble` (./noble.ts), so this entry never loads `@noble`.
 *
 * @module \@strongroom/core
 */
export * from './errors';
export * from './suites';
export type * from './key-provider';
export type { CryptoBackend, GcmSealed, SigningKeyPair, IncrementalSigner, IncrementalVerifier } from './backend';
export { nodeBackend } from './node-backend';
export { CommitmentPolicy } from './commitment-policy';
export {
  createClient,
  toWebReadable,
  toWebTransform,
  DEFAULT_FRAME_LENGTH,
  DEFAULT_MAX_ENCRYPTED_DATA_KEYS,
  DEFAULT_MAX_FRAME_LENGTH,
  type ClientOptions,
  type DecryptOptions,
  type DecryptResult,
  type EncryptOptions,
  type EncryptResult,
  type StrongroomClient,
  type Input,
} from './client';
export { createDataKeyCache, type DataKeyCache, type DataKeyCacheOptions, type DataKeyCacheStats } from './cache';
export { RawAesKeyProvider, type RawAesKeyProviderOptions } from './raw-aes-provider';
export { RawRsaKeyProvider, type RawRsaKeyProviderOptions, type RsaPadding } from './raw-rsa-provider';
export type { MessageHeader, ParsedHeader } from './header';
export { parseHeader, serializeHeaderBody } from './header';
export { serializeEncryptionContext, parseEncryptionContext, RESERVED_PREFIX } from './encryption-context';
export { instanceIdentity, KEY_FINGERPRINT_LABEL } from './cache-identity';
export { publicKeyFingerprint, secretKeyFingerprint } from './node-fingerprints';
