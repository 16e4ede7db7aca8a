/**
 * Encryption and decryption as WHATWG transform streams (https://streams.spec.whatwg.org/:
 * `TransformStream`), over the async backend seam: what the web client's encryptStream and
 * decryptStream return, and the whole of `@strongroom/core/streams`. A frame's plaintext is released
 * only after its tag verifies, the last one only after the end (and the signature) verified; a stream
 * holds at most one frame plus the streams' queues (with a worker pool: at most 2 × pool size batches
 * of frames, see ./pool/batch-pipe.ts). Any failure, abort or cancel wipes the keys at once.
 * spec: client-apis/encrypt.md, client-apis/decrypt.md, client-apis/streaming.md.
 */
import type { AsyncCryptoBackend } from './async-backend';
import { chunkBytes, coalesce } from './bytes';
import { StrongroomError, throwIfAborted } from './errors';
import type { MessageHeader } from './header';
import type { EncryptionContext } from './key-provider';
import type { ClientCore, DecryptOptions, EncryptOptions } from './message-core';
import type { FramePipes } from './pool/web-frame-pipes';
import { AsyncMessageDecoder } from './web-decoder';
import { AsyncMessageEncoder } from './web-encoder';

/**
 * A transform pair (use with `pipeThrough`): write plaintext (or the message), read the message (or
 * the plaintext). `header` resolves once the header is known (decryption: once it authenticated).
 */
export interface CryptoStream<H> {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly header: Promise<H>;
}

/** What a decryption stream's `header` resolves: the header and the authenticated encryption context. */
export interface OpenedHeader {
  readonly header: MessageHeader;
  readonly encryptionContext: EncryptionContext;
}

/**
 * An encryption stream: write plaintext, read the message. `length`: the plaintext length if known;
 * `pool`: seal the regular frames on these workers.
 */
export function encryptingStream(
  core: ClientCore,
  backend: AsyncCryptoBackend,
  encryptOptions: EncryptOptions,
  length: number | undefined,
  pool: FramePipes | undefined,
): CryptoStream<MessageHeader> {
  let encoder: AsyncMessageEncoder | undefined;
  return cryptoStream<MessageHeader>(encryptOptions.abortSignal, {
    async write(chunk, emit, announce) {
      if (!encoder) {
        encoder = await core.withMaterials(encryptOptions, length, true, (materials) =>
          AsyncMessageEncoder.create({ backend, frameLength: core.frameLength, ...materials }, pool),
        );
        announce(encoder.header);
        emit(await encoder.start());
      }
      if (chunk) emit(await encoder.update(chunk));
      else emit(await encoder.final());
    },
    destroy: () => encoder?.destroy(),
  });
}

/**
 * A decryption stream: write the message, read plaintext released frame by frame after
 * authentication; `header` resolves once the header authenticated. `pool`: open frames on these workers.
 */
export function decryptingStream(core: ClientCore, backend: AsyncCryptoBackend, decryptOptions: DecryptOptions, pool: FramePipes | undefined): CryptoStream<OpenedHeader> {
  const opening = core.opening(decryptOptions);
  const decoder = new AsyncMessageDecoder({ backend, maxEncryptedDataKeys: core.maxEncryptedDataKeys, maxFrameLength: core.maxFrameLength, pool });
  let opened = false;
  return cryptoStream<OpenedHeader>(decryptOptions.abortSignal, {
    async write(chunk, emit, announce) {
      if (!chunk) return emit(await decoder.end()); // end of input (throws if the header never completed)
      decoder.write(chunk);
      if (!opened) {
        const parsed = decoder.readHeader();
        if (!parsed) return;
        const encryptionContext = await core.withDataKey(parsed, opening, (dataKey, authenticatedOnly) => decoder.begin(dataKey, authenticatedOnly));
        opened = true;
        announce({ header: parsed.header, encryptionContext });
      }
      emit(await decoder.read());
    },
    destroy: () => decoder.destroy(),
  });
}

/** One step of a crypto stream: a chunk (or undefined at the end); emit output; announce the header once. */
interface Steps<H> {
  write(chunk: Uint8Array | undefined, emit: (pieces: Uint8Array[]) => void, announce: (header: H) => void): Promise<void>;
  /** Wipe keys and held plaintext (on error, abort or cancel). */
  destroy(): void;
}

/** A transformer with the Streams Standard's `cancel` hook (newer than the typings in use here). */
type WithCancel<T> = NonNullable<T> & { cancel(reason: unknown): void };

/**
 * A TransformStream around `steps`. The transform awaits each step, so a slow reader holds the writer
 * back (backpressure) and memory stays at one frame plus the queues. Any failure wipes the state,
 * errors both sides with the typed error and rejects `header`.
 */
export function cryptoStream<H>(abortSignal: AbortSignal | undefined, steps: Steps<H>): CryptoStream<H> {
  let announce!: (header: H) => void;
  let fail!: (error: unknown) => void;
  const header = new Promise<H>((resolve, reject) => {
    announce = resolve;
    fail = reject;
  });
  header.catch(() => undefined); // a caller that never reads `header` must not see an unhandled rejection
  let controller!: TransformStreamDefaultController<Uint8Array>;
  let failed = false;
  const onAbort = () => {
    const error = new StrongroomError('ABORTED', 'The operation was aborted', { cause: abortSignal?.reason });
    failWith(error);
    controller.error(error);
  };
  const detach = () => abortSignal?.removeEventListener('abort', onAbort);
  const failWith = (error: unknown) => {
    detach();
    if (failed) return;
    failed = true;
    steps.destroy();
    fail(error);
  };
  const run = async (input: unknown, c: TransformStreamDefaultController<Uint8Array>) => {
    try {
      throwIfAborted(abortSignal);
      const chunk = input === undefined ? undefined : chunkBytes(input, 'stream chunks');
      await steps.write(chunk, (pieces) => coalesce(pieces, (piece) => c.enqueue(piece)), announce);
      if (!chunk) detach();
    } catch (e) {
      failWith(e);
      throw e;
    }
  };
  // `cancel` (the Streams Standard's transformer hook; a runtime without it ignores it) runs when the
  // reader cancels or the writer aborts: nothing more passes, so keys and held plaintext are
  // wiped now and the caller's signal let go, instead of waiting for a write that may never come.
  const transformer: WithCancel<ConstructorParameters<typeof TransformStream<Uint8Array, Uint8Array>>[0]> = {
    start(c) {
      controller = c;
    },
    transform: (chunk, c) => run(chunk, c),
    flush: (c) => run(undefined, c),
    cancel: (reason) => failWith(new StrongroomError('ABORTED', 'The stream was cancelled', { cause: reason })),
  };
  const stream = new TransformStream<Uint8Array, Uint8Array>(transformer);
  if (abortSignal?.aborted) queueMicrotask(onAbort);
  else abortSignal?.addEventListener('abort', onAbort, { once: true });
  return { readable: stream.readable, writable: stream.writable, header };
}
