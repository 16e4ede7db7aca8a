/**
 * `@strongroom/core` for browsers, workers, Deno and Cloudflare Workers (the `browser`, `worker`,
 * `workerd`, `deno` and `default` export conditions): the same message format and API as the Node
 * entry, with the Web Crypto backend and WHATWG streams, and no Node import and no `Buffer`
 * anywhere in it (the build checks). See README.md, "Runtimes and entries". Where a runtime has no Web Crypto, pass
 * `backend: nobleBackend` from `@strongroom/core/noble`.
 *
 * @module \@strongroom/core (web)
 */
export * from './shared-exports';
export { toAsyncBackend, type AsyncCryptoBackend, type AsyncGcmKey, type AsyncIncrementalSigner, type AsyncIncrementalVerifier } from './async-backend';
export { webBackend } from './web-backend';
export { createClient, type ClientOptions, type Input, type StrongroomClient } from './web-client';
export type { CryptoStream, OpenedHeader } from './web-streams';
export { type WorkerPool, type WorkerPoolOptions } from './pool/pool-core';
export { createWorkerPool } from './pool/web-pool-handle';
export { RawAesKeyProvider } from './web-raw-aes-provider';
export { RawRsaKeyProvider, type RawRsaKeyProviderOptions } from './web-raw-rsa-provider';
export { FRAMED_SUITE_ID } from './suites';
export type { WebFramedMessage, WebFramedSealer, WebFrameRunReader } from './web-framed';
