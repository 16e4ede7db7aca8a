/**
 * `@strongroom/core/streams`: encryption and decryption as two functions that return WHATWG
 * transform streams, over Web Crypto, in every runtime (browsers, workers, Deno, Bun, Cloudflare
 * Workers, Node). The same message format, checks and guarantees as `createClient`'s
 * `encryptStream` / `decryptStream` (it is the same code), without what a client adds: no data-key
 * cache, no worker pool, no whole-buffer `encrypt` / `decrypt`, no framed-layout helpers. An app
 * that imports only this entry carries only the message machinery (see docs/runtimes.md, "Bundle
 * size"); anything else it needs comes from `@strongroom/core`, which shares this entry's code.
 *
 * @example
 * import { decryptStream, encryptStream, RawAesKeyProvider } from '@strongroom/core/streams';
 * const keyProvider = RawAesKeyProvider({ namespace: 'app', name: 'k1', key });
 * const encrypted = file.stream().pipeThrough(encryptStream({ keyProvider, encryptionContext: { tenant: 'acme' } }));
 * const plaintext = encrypted.pipeThrough(decryptStream({ keyProvider, expectedEncryptionContext: { tenant: 'acme' } }));
 *
 * @module \@strongroom/core/streams
 */
import { type AsyncCryptoBackend, toAsyncBackend } from './async-backend';
import type { CryptoBackend } from './backend';
import { StrongroomError } from './errors';
import type { MessageHeader } from './header';
import { type ClientCore, type DecryptOptions, type EncryptOptions, messageCore, type MessageOptions } from './message-core';
import { webBackend } from './web-backend';
import { type CryptoStream, decryptingStream, encryptingStream, type OpenedHeader } from './web-streams';

export { StrongroomError, type StrongroomErrorCode } from './errors';
export { CommitmentPolicy } from './commitment-policy';
export { RawAesKeyProvider } from './web-raw-aes-provider';
export type { RawAesKeyProviderOptions } from './raw-aes-core';
export type * from './key-provider';
export type { AlgorithmSuite } from './suites';
export type { MessageHeader } from './header';
export type { AsyncCryptoBackend } from './async-backend';
export type { CryptoBackend } from './backend';
export type { CryptoStream, DecryptOptions, EncryptOptions, MessageOptions, OpenedHeader };

/** The crypto of these streams: Web Crypto by default, or another backend (e.g. `nobleBackend` from `@strongroom/core/noble`). */
export interface StreamBackendOption {
  backend?: AsyncCryptoBackend | CryptoBackend;
}

/** Options of {@link encryptStream}: how to write the message (key providers, suite, frame length, policy) and this message's context. */
export type EncryptStreamOptions = MessageOptions & EncryptOptions & StreamBackendOption;

/** Options of {@link decryptStream}: the key providers, policy and limits, and what this message must carry. */
export type DecryptStreamOptions = MessageOptions & DecryptOptions & StreamBackendOption;

/** What createClient has and these functions do not: a JavaScript caller passing one gets told, not ignored. */
const CLIENT_ONLY = ['cache', 'cachePartition', 'parallelism', 'pool'] as const;

function coreOf(options: MessageOptions & StreamBackendOption, who: string): [ClientCore, AsyncCryptoBackend] {
  if (typeof options === 'object' && options !== null) {
    for (const name of CLIENT_ONLY) {
      if ((options as Record<string, unknown>)[name] !== undefined) {
        throw new StrongroomError('INVALID_ARGUMENT', `${who}: ${name} is an option of createClient from @strongroom/core; these stream functions have no ${name}`);
      }
    }
  }
  const backend = toAsyncBackend(options?.backend ?? webBackend);
  return [messageCore(options, backend, who), backend];
}

/**
 * A stream that encrypts: write plaintext (bytes or strings) to `.writable`, read the message from
 * `.readable` (or `source.pipeThrough(encryptStream(options))`); `.header` resolves once the data key
 * is wrapped. An abort (`abortSignal`), an error or a cancel on either side wipes the keys.
 * @throws StrongroomError INVALID_ARGUMENT / COMMITMENT_POLICY for inconsistent options (at once);
 *   the stream errors with the provider's or context check's error.
 */
export function encryptStream(options: EncryptStreamOptions): CryptoStream<MessageHeader> {
  const [core, backend] = coreOf(options, 'encryptStream');
  return encryptingStream(core, backend, options, undefined, undefined);
}

/**
 * A stream that decrypts: write the message, read the plaintext, released frame by frame only after
 * each frame authenticates (the last one only after the end, and the signature, verified); `.header`
 * resolves with the header and its authenticated encryption context once the header authenticated.
 * @throws StrongroomError INVALID_ARGUMENT / COMMITMENT_POLICY for inconsistent options (at once);
 *   the stream errors with MALFORMED, AUTHENTICATION_FAILED, NO_DECRYPTION_KEY, ENCRYPTION_CONTEXT….
 */
export function decryptStream(options: DecryptStreamOptions): CryptoStream<OpenedHeader> {
  const [core, backend] = coreOf(options, 'decryptStream');
  return decryptingStream(core, backend, options, undefined);
}
