/**
 * The frames of one message on their way through a worker pool, for every encoder and decoder that
 * uses one (Node: ./pooled-encoder.ts, ./pooled-decoder.ts; web: ../web-encoder.ts, ../web-decoder.ts):
 * whole frames are packed into batches (./frame-batch.ts), each full batch is sent to the pool, and
 * the results are released strictly in order (./in-order.ts). At most 2 × pool size batches are in
 * flight: `seal()`/`open()` resolve only when there is room again, which is the backpressure that
 * bounds a stream's memory whatever the message size. The final frame never comes here (its
 * owner seals or opens it on the calling thread).
 */
import type { SealedPiece } from '../frame-reader';
import type { SealJob } from '../frame-writer';
import { type BatchBuffers, FrameBatch, framesPerBatch } from './frame-batch';
import { InOrder } from './in-order';
import type { PoolRunner } from './pool-core';
import type { BatchDone } from './protocol';

export class BatchPipe {
  private readonly flights: InOrder;
  private readonly perBatch: number;
  private batch: FrameBatch | undefined;
  /** Buffers of finished batches, reused (at most one set per batch in flight). */
  private readonly spare: BatchBuffers[] = [];
  private closed = false;

  /** The pipe's own copy of the content key (copied into each batch), wiped by `last()` or `close()`. */
  private readonly key: Uint8Array;

  /**
   * `key`: the message's content key (copied: the caller keeps and wipes its own). `release`
   * receives the batches' output piece by piece, in order: sealed message bytes, or plaintext that
   * authenticated.
   */
  constructor(
    private readonly op: 'seal' | 'open',
    private readonly runner: PoolRunner,
    private readonly frameLength: number,
    key: Uint8Array,
    release: (bytes: Uint8Array) => void,
  ) {
    this.key = new Uint8Array(key);
    this.perBatch = framesPerBatch(frameLength);
    // Opened plaintext that can no longer be released is zeroed.
    this.flights = new InOrder(2 * runner.size, (pieces) => pieces.forEach((piece) => release(piece)), op === 'open');
  }

  /** The first failure of a batch, if any. */
  get failure(): unknown {
    return this.flights.failure;
  }

  /** Add a regular frame to seal; resolves once there is room for more. */
  seal(job: SealJob): Promise<void> {
    this.current().addSeal(job);
    return this.added();
  }

  /** Add a regular frame to open; resolves once there is room for more. */
  open(piece: SealedPiece): Promise<void> {
    this.current().addOpen(piece);
    return this.added();
  }

  /** Send the batch under construction, if any. */
  private flush(): void {
    const batch = this.batch;
    if (!batch || this.closed) return;
    this.batch = undefined;
    const { task, transfer } = batch.task(this.key);
    const done = this.runner.run<BatchDone>(task, transfer).then((reply) => {
      // The pieces are buffers the worker allocated for this batch and transferred: handed on as they
      // are. The two input buffers come back for the stream's next batch.
      if (this.closed) {
        new Uint8Array(reply.data).fill(0);
        for (const piece of reply.pieces) piece.fill(0);
        return [];
      }
      this.spare.push({ data: reply.data, meta: reply.meta });
      return reply.pieces;
    });
    this.flights.add(done);
  }

  /** The final frame is here (its owner seals or opens it): send the last batch and wipe the key copy. */
  last(): void {
    this.flush();
    this.key.fill(0);
  }

  /**
   * The end of the message's frames: send what is left, resolve once every batch was released, then
   * close (wiping the key copy and the reused buffers, which held this message's bytes). Throws the
   * first failure.
   */
  async finish(): Promise<void> {
    this.last();
    try {
      await this.flights.drain();
    } finally {
      this.close(this.failure);
    }
  }

  /** Release nothing more (after `error`, if any); wipe the key copy, the reused buffers and an unsent batch. */
  close(error?: unknown): void {
    this.closed = true;
    this.key.fill(0);
    this.flights.stop(error);
    this.batch?.wipe();
    this.batch = undefined;
    for (const s of this.spare.splice(0)) new Uint8Array(s.data).fill(0);
  }

  private current(): FrameBatch {
    this.batch ??= new FrameBatch(this.op, this.perBatch, this.frameLength, this.spare.pop());
    return this.batch;
  }

  private async added(): Promise<void> {
    if (!this.batch!.full) return;
    this.flush();
    await this.flights.capacity();
  }
}
