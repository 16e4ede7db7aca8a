/**
 * PooledEncoder: a framed message whose frames are sealed on a worker pool, in batches of whole
 * frames, and emitted in order (AWS Encryption SDK data-format/message-body.md: once the header is
 * fixed, every frame is sealed independently under the message's content key, its IV and AAD fixed
 * by its sequence number). The header, the framing and the final frame are done on the calling
 * thread by the same code as the one-thread ../encoder.ts (../header-auth.ts, ../frame-writer.ts,
 * ../frame.ts). At most `limit` batches are in flight: memory stays bounded whatever the input size.
 * Signed suites: the signature is computed on this thread over the bytes as they are emitted.
 */
import type { CryptoBackend, IncrementalSigner, SigningKeyPair } from '../backend';
import { coalesce } from '../bytes';
import { sealWith } from '../frame';
import { footer, FrameWriter, type SealJob } from '../frame-writer';
import type { MessageHeader } from '../header';
import { newMessage, sealHeader, type NewMessage, type NewMessageInput } from '../header-auth';
import { FrameBatch, framesPerBatch } from './frame-batch';
import { InOrder } from './in-order';
import type { PoolRunner } from './worker-pool';

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
  private readonly flights: InOrder;
  private readonly perBatch: number;
  private batch: FrameBatch | undefined;
  /** Data buffers of finished batches, reused (at most one per batch in flight). */
  private readonly spare: ArrayBuffer[] = [];
  private wiped = false;

  constructor(private readonly input: PooledEncoderInput) {
    this.backend = input.backend;
    this.message = newMessage(input);
    this.header = this.message.header;
    this.key = this.message.key;
    this.signer = input.signingKey ? input.backend.createSigner(input.signingKey) : undefined;
    this.frames = new FrameWriter(this.header.messageId, input.frameLength);
    this.perBatch = framesPerBatch(input.frameLength);
    this.flights = new InOrder(2 * input.runner.size, (pieces) => this.out(pieces), false);
  }

  /** Plaintext bytes taken so far. */
  get bytesIn(): number {
    return this.frames.bytesIn;
  }

  /** Emit header body ‖ header authentication. Call once, first. */
  start(): void {
    this.frames.start();
    this.out(sealHeader(this.backend, this.message));
  }

  /** Feed plaintext; resolves when there is room for more (fewer than `limit` batches in flight). */
  async update(chunk: Uint8Array): Promise<void> {
    for (const job of this.frames.update(chunk)) {
      this.batch ??= new FrameBatch('seal', this.perBatch, this.input.frameLength, this.spare.pop());
      this.batch.addSeal(job);
      if (this.batch.full) {
        this.send();
        await this.flights.capacity();
      }
    }
  }

  /** Seal the rest: the last batch on the pool, the final frame here; then the signature footer. */
  async final(): Promise<void> {
    const job: SealJob = this.frames.final();
    if (this.batch) this.send();
    await this.flights.drain();
    this.out(sealWith(this.backend, this.key, job, job.plaintext));
    this.wipe();
    if (this.signer) this.input.emit(footer(this.signer.sign()));
  }

  /** Wipe the content key and stop emitting (on error or abort). */
  destroy(): void {
    this.flights.stop();
    this.frames.destroy();
    this.wipe();
  }

  /** The content key and the reused plaintext buffers. */
  private wipe(): void {
    this.wiped = true;
    this.key.fill(0);
    for (const s of this.spare.splice(0)) new Uint8Array(s).fill(0);
  }

  private send(): void {
    const batch = this.batch!;
    this.batch = undefined;
    const { task, transfer } = batch.task(this.key);
    const sealed = this.input.runner.run(task, transfer).then((reply) => {
      if (this.wiped) new Uint8Array(reply.data!).fill(0);
      else this.spare.push(reply.data!);
      return batch.sealed(reply);
    });
    this.flights.add(sealed);
  }

  /** Emit message bytes (small pieces such as prefixes and tags joined), signing them if the suite signs. */
  private out(pieces: readonly Uint8Array[]): void {
    coalesce(pieces, (bytes) => {
      this.signer?.update(bytes);
      this.input.emit(bytes);
    });
  }
}
