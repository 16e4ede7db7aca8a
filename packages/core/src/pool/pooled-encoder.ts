/**
 * PooledEncoder: a framed message whose frames are sealed on a worker pool, in batches of whole
 * frames, and emitted in order (AWS Encryption SDK data-format/message-body.md: once the header is
 * fixed, every frame is sealed independently under the message's content key, its IV and AAD fixed
 * by its sequence number). The header, the framing and the final frame are done on the calling
 * thread by the same code as the one-thread ../encoder.ts (../header-auth.ts, ../frame-writer.ts,
 * ../frame.ts); the batches go through ./batch-pipe.ts, which bounds what is in flight.
 * Signed suites: the signature is computed on this thread over the bytes as they are emitted.
 */
import { type CryptoBackend, type IncrementalSigner, type SigningKeyPair, transientBytes } from '../backend';
import { coalesce } from '../bytes';
import { sealWith } from '../frame';
import { footer, FrameWriter } from '../frame-writer';
import type { MessageHeader } from '../header';
import { newMessage, sealHeader, type NewMessage, type NewMessageInput } from '../header-auth';
import { BatchPipe } from './batch-pipe';
import type { PoolRunner } from './pool-core';

export interface PooledEncoderInput extends NewMessageInput {
  readonly signingKey: SigningKeyPair | undefined;
  readonly runner: PoolRunner;
  /** Receives the message bytes in order. */
  readonly emit: (bytes: Uint8Array) => void;
}

export class PooledEncoder {
  readonly header: MessageHeader;
  private readonly message: NewMessage;
  private readonly key: Uint8Array;
  private readonly backend: CryptoBackend;
  private readonly signer: IncrementalSigner | undefined;
  private readonly frames: FrameWriter;
  private readonly pipe: BatchPipe;

  constructor(private readonly input: PooledEncoderInput) {
    this.backend = input.backend;
    this.message = newMessage(input);
    this.header = this.message.header;
    this.key = this.message.key;
    this.signer = input.signingKey ? input.backend.createSigner(input.signingKey) : undefined;
    this.frames = new FrameWriter(this.header.messageId, input.frameLength, transientBytes(input.backend));
    this.pipe = new BatchPipe('seal', input.runner, input.frameLength, this.key, (bytes) => this.out([bytes]));
  }

  /** Emit header body ‖ header authentication. Call once, first. */
  start(): void {
    this.frames.start();
    this.out(sealHeader(this.backend, this.message));
  }

  /** Feed plaintext; resolves when there is room for more (fewer than the limit of batches in flight). */
  async update(chunk: Uint8Array): Promise<void> {
    for (const job of this.frames.update(chunk)) await this.pipe.seal(job);
  }

  /** Seal the rest: the last batch on the pool, the final frame here; then the signature footer. */
  async final(): Promise<void> {
    const job = this.frames.final();
    await this.pipe.finish();
    this.out(sealWith(this.backend, this.key, job, job.plaintext));
    this.wipe();
    if (this.signer) this.input.emit(footer(this.signer.sign()));
  }

  /** Wipe the content key and stop emitting (on error or abort). */
  destroy(): void {
    this.frames.destroy();
    this.wipe();
  }

  /** The content key and the reused plaintext buffers. */
  private wipe(): void {
    this.pipe.close();
    this.key.fill(0);
  }

  /** Emit message bytes (small pieces such as the header's joined), signing them if the suite signs. */
  private out(pieces: readonly Uint8Array[]): void {
    coalesce(pieces, (bytes) => {
      this.signer?.update(bytes);
      this.input.emit(bytes);
    });
  }
}
