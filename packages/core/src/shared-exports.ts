/**
 * What the Node entry (./index) and the web entry (./web) both export: errors, suites, the provider
 * and backend types, options and results, the data-key cache, header and context codecs. Each entry
 * adds its own client, backend and raw providers.
 */
export * from './errors';
export * from './suites';
export type * from './key-provider';
export type { CryptoBackend, GcmSealed, SigningKeyPair, IncrementalSigner, IncrementalVerifier } from './backend';
export { CommitmentPolicy } from './commitment-policy';
export {
  DEFAULT_FRAME_LENGTH,
  DEFAULT_MAX_ENCRYPTED_DATA_KEYS,
  DEFAULT_MAX_FRAME_LENGTH,
  type BaseClientOptions,
  type DecryptOptions,
  type DecryptResult,
  type EncryptOptions,
  type EncryptResult,
} from './client-core';
export { createDataKeyCache, type DataKeyCache, type DataKeyCacheOptions, type DataKeyCacheStats } from './cache';
export type { RawAesKeyProviderOptions } from './raw-aes-core';
export type { RsaNames, RsaPadding } from './raw-rsa-core';
export type { WebInput } from './input';
export type { MessageHeader, ParsedHeader } from './header';
export { parseHeader, serializeHeaderBody } from './header';
export { framedLayout, framesFor, frameOffset, type FramedLayout, type FramedMessageBase, type FrameSpan } from './framed-layout';
export { REGULAR_FRAME_OVERHEAD, FINAL_FRAME_OVERHEAD } from './frame';
export { framedHeaderNeed } from './framed-header';
export { serializeEncryptionContext, parseEncryptionContext, RESERVED_PREFIX } from './encryption-context';
export { instanceIdentity, KEY_FINGERPRINT_LABEL } from './cache-identity';
