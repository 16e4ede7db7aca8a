/**
 * The worker pool's part in the web entry's encoding and decoding: for each message, the pipe that
 * carries its regular frames through the pool (./batch-pipe.ts, the same code as the Node build's
 * pool), and the encoder that feeds it (./web-pooled-encoder.ts); the decoder (../web-decoder.ts)
 * opens frames through the pipe itself. A client with a pool hands them a `FramePipes`; the code
 * behind it loads on first use, so an app without a pool never loads it, and the stream functions
 * (../streams.ts), which have no pool, do not bundle any of it.
 */
import type { AsyncEncoderInput, AsyncMessageEncoder } from '../web-encoder';
import type { BatchPipe } from './batch-pipe';
import type { PoolRunner } from './pool-core';

/** What the encoder and decoder use of a message's pipe. */
export type FramePipe = Pick<BatchPipe, 'seal' | 'open' | 'last' | 'finish' | 'close' | 'failure'>;

/**
 * Makes a message's pipe from its raw content key (the pipe keeps its own copy, wiped when the last
 * batch is sent), or none when its frames stay on the calling thread. `release` receives the batches'
 * output piece by piece, in order.
 */
export type MakeFramePipe = (op: 'seal' | 'open', frameLength: number, key: Uint8Array, release: (bytes: Uint8Array) => void) => FramePipe | undefined;

/** A client's pool as its encoders and decoders use it (the code behind it loads on first use). */
export interface FramePipes {
  /** Resolves the pipe maker (a decoder makes its pipe once the header authenticated). */
  readonly maker: () => Promise<MakeFramePipe>;
  /** A message's encoder, its regular frames sealed on the pool (./web-pooled-encoder.ts). */
  readonly encoder: (input: AsyncEncoderInput) => Promise<AsyncMessageEncoder>;
}

/**
 * The pipes of a pool. A message's frames stay on the calling thread when it is non-framed, or when
 * its key is AES-192: Chromium's Web Crypto has no AES-192, and the calling thread falls back to
 * @noble/ciphers for it, a fallback the workers do not carry.
 */
export function framePipes(runner: PoolRunner): FramePipes {
  let loaded: Promise<MakeFramePipe> | undefined;
  // A failed load (a chunk the network lost) is not kept: the next message tries again.
  const maker = () =>
    (loaded ??= import('./batch-pipe').then(
      ({ BatchPipe }): MakeFramePipe =>
        (op, frameLength, key, release) =>
          frameLength > 0 && key.length !== 24 ? new BatchPipe(op, runner, frameLength, key, release) : undefined,
      (error: unknown) => {
        loaded = undefined;
        throw error;
      },
    ));
  return {
    maker,
    encoder: async (input) => (await import('./web-pooled-encoder')).pooledEncoder(input, await maker()),
  };
}
