/**
 * The worker pool's part in the web entry's encoder and decoder (../web-encoder.ts, ../web-decoder.ts):
 * for each message, the pipe that carries its regular frames through the pool (./batch-pipe.ts, the
 * same code as the Node build's pool). A client with a pool hands its encoders and decoders a
 * `FramePipes`; the pipe's code loads on first use, so an app without a pool never loads it, and
 * the stream functions (../streams.ts), which have no pool, do not bundle any of this.
 */
import type { BatchPipe } from './batch-pipe';
import type { PoolRunner } from './pool-core';

/** What the encoder and decoder use of a message's pipe. */
export type FramePipe = Pick<BatchPipe, 'seal' | 'open' | 'last' | 'finish' | 'close' | 'failure'>;

/**
 * Makes a message's pipe from its raw content key (the pipe keeps its own copy, wiped when the last
 * batch is sent), or none when its frames stay on the calling thread. `release` receives each batch's
 * output in order.
 */
export type MakeFramePipe = (op: 'seal' | 'open', frameLength: number, key: Uint8Array, release: (bytes: Uint8Array) => void) => FramePipe | undefined;

/** Resolves the pipe maker of a client's pool (loading the pipe's code on first use). */
export type FramePipes = () => Promise<MakeFramePipe>;

/**
 * The pipes of a pool. A message's frames stay on the calling thread when it is non-framed, or when
 * its key is AES-192: Chromium's Web Crypto has no AES-192, and the calling thread falls back to
 * @noble/ciphers for it, a fallback the workers do not carry.
 */
export function framePipes(runner: PoolRunner): FramePipes {
  let loaded: Promise<MakeFramePipe> | undefined;
  return () =>
    (loaded ??= import('./batch-pipe').then(
      ({ BatchPipe }) =>
        (op, frameLength, key, release) =>
          frameLength > 0 && key.length !== 24 ? new BatchPipe(op, runner, frameLength, key, release) : undefined,
    ));
}
