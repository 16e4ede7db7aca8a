/**
 * `@strongroom/core` — envelope encryption in the AWS Encryption SDK message format, with pluggable
 * key providers. See README.md and docs/format.md. The pure-JS `@noble` backend is the separate entry
 * `@strongroom/core/noble` (./noble.ts), so this entry never loads `@noble`.
 *
 * @module \@strongroom/core
 */
export * from './shared-exports';
export { nodeBackend } from './node-backend';
export { createClient, toWebReadable, toWebTransform, type ClientOptions, type StrongroomClient, type Input } from './client';
export { FRAMED_SUITE_ID, type RewrapHeaderOptions } from './framed-client';
export type { FramedSealer } from './framed-seal';
export type { FramedMessage, FrameRunReader } from './framed-open';
export { createWorkerPool, type WorkerPool, type WorkerPoolOptions } from './pool/worker-pool';
export { RawAesKeyProvider } from './raw-aes-provider';
export { RawRsaKeyProvider, type RawRsaKeyProviderOptions } from './raw-rsa-provider';
export { publicKeyFingerprint, secretKeyFingerprint } from './node-fingerprints';
