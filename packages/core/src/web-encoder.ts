/**
 * AsyncMessageEncoder: the web entry's encoder, over the async backend seam. The framing is
 * ./frame-writer, the same code the Node entry's ./encoder drives; only the sealing awaits. Frames
 * that are complete at once are sealed concurrently (Web Crypto may run them in parallel) and
 * written in order. With a worker pool (`pool`), the regular frames are sealed there instead, in
 * batches through ./pool/batch-pipe.ts (the same code as the Node build's pool), and emitted in order
 * as they come back; the header and the final frame stay here.
 * spec: client-apis/encrypt.md, data-format/message-body.md, message-footer.md.
 */
import type { AsyncCryptoBackend, AsyncGcmKey, AsyncIncrementalSigner } from './async-backend';
import type { EncoderInput } from './encoder';
import { footer, FrameWriter, type SealJob } from './frame-writer';
import type { MessageHeader } from './header';
import { headerAuth } from './header-auth';
import type { BatchPipe } from './pool/batch-pipe';
import type { PoolRunner } from './pool/pool-core';
import { newMessageAsync } from './web-header-auth';

/**
 * As the Node encoder's input, over the async seam; the data key is not retained (derived and
 * imported in create()). `pool`: seal the regular frames on these workers (Web Crypto there).
 */
export type AsyncEncoderInput = Omit<EncoderInput, 'backend'> & { readonly backend: AsyncCryptoBackend; readonly pool?: PoolRunner | undefined };

/**
 * Whether a message's frames go to the pool: framed, and not AES-192 (Chromium's Web Crypto has no
 * AES-192; the calling thread falls back to @noble/ciphers for it, the workers carry no such fallback).
 */
/**
 * ./pool/batch-pipe.ts, loaded by a client with a pool when it first needs it: in a browser bundle
 * the pool's code is then a chunk of its own, which apps without a pool never load.
 */
export async function loadBatchPipe(): Promise<typeof BatchPipe> {
  return (await import('./pool/batch-pipe')).BatchPipe;
}

export function poolFrames(pool: PoolRunner | undefined, frameLength: number, key: Uint8Array): pool is PoolRunner {
  return pool !== undefined && frameLength > 0 && key.length !== 24;
}

export class AsyncMessageEncoder {
  private readonly frames: FrameWriter;
  private readonly pipe: BatchPipe | undefined;
  /** The workers' copy of the content key (wiped once the last batch is sent). */
  private readonly poolKey: Uint8Array | undefined;
  /** Message bytes released by the pool, not yet returned. */
  private ready: Uint8Array[] = [];

  private constructor(
    readonly header: MessageHeader,
    private readonly key: AsyncGcmKey,
    private readonly signer: AsyncIncrementalSigner | undefined,
    private readonly headerAadTail: Uint8Array,
    pooled: { readonly runner: PoolRunner; readonly key: Uint8Array; readonly Pipe: typeof BatchPipe } | undefined,
  ) {
    this.frames = new FrameWriter(header.messageId, header.frameLength);
    this.poolKey = pooled?.key;
    if (pooled) this.pipe = new pooled.Pipe('seal', pooled.runner, header.frameLength, pooled.key, (bytes) => this.ready.push(...this.emit([bytes])));
  }

  static async create(input: AsyncEncoderInput): Promise<AsyncMessageEncoder> {
    // The workers get their own copy of the content key (wiped when the last batch is sent).
    const pool = input.pool;
    const Pipe = pool ? await loadBatchPipe() : undefined;
    let pooled: { runner: PoolRunner; key: Uint8Array; Pipe: typeof BatchPipe } | undefined;
    const { header, key, headerAadTail } = await newMessageAsync(input, (raw) => {
      if (Pipe && poolFrames(pool, input.frameLength, raw)) pooled = { runner: pool, key: new Uint8Array(raw), Pipe };
    });
    let signer: AsyncIncrementalSigner | undefined;
    try {
      signer = input.signingKey ? await input.backend.createSigner(input.signingKey) : undefined;
    } catch (e) {
      pooled?.key.fill(0);
      key.destroy();
      throw e;
    }
    return new AsyncMessageEncoder(header, key, signer, headerAadTail, pooled);
  }

  /** Header body ‖ header authentication. Call once, first. */
  async start(): Promise<Uint8Array[]> {
    this.frames.start();
    const auth = headerAuth(this.header, this.headerAadTail);
    const { tag } = await this.key.encrypt(auth.iv, auth.aad, []);
    return this.emit(auth.written(tag));
  }

  /** Feed plaintext; resolves the message bytes that are ready (whole frames). */
  async update(chunk: Uint8Array): Promise<Uint8Array[]> {
    const jobs = this.frames.update(chunk);
    if (this.pipe) {
      for (const job of jobs) await this.pipe.seal(job);
      return this.ready.splice(0);
    }
    if (jobs.length === 0) return [];
    const sealed = await Promise.all(jobs.map((job) => this.seal(job)));
    return this.emit(sealed.flat());
  }

  /** Seal the final frame (or the single block) and append the signature footer. */
  async final(): Promise<Uint8Array[]> {
    const job = this.frames.final();
    if (this.pipe) {
      await this.pipe.drain();
      this.pipe.close();
      this.poolKey!.fill(0);
    }
    const out = this.ready.splice(0);
    out.push(...this.emit(await this.seal(job)));
    this.key.destroy();
    if (this.signer) out.push(footer(await this.signer.sign()));
    return out;
  }

  /** Forget the content key without finishing (on error or abort). */
  destroy(): void {
    this.frames.destroy();
    this.key.destroy();
    this.pipe?.close(this.pipe.failure);
    this.poolKey?.fill(0);
    this.ready = [];
  }

  private emit(pieces: Uint8Array[]): Uint8Array[] {
    if (this.signer) for (const p of pieces) this.signer.update(p);
    return pieces;
  }

  private async seal(job: SealJob): Promise<Uint8Array[]> {
    const { ciphertext, tag } = await this.key.encrypt(job.iv, job.aad, job.plaintext);
    return [job.prefix, ...ciphertext, tag];
  }
}
