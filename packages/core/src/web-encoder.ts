/**
 * AsyncMessageEncoder: the web entry's encoder, over the async backend seam. The framing is
 * ./frame-writer, the same code the Node entry's ./encoder drives; only the sealing awaits. Frames
 * that are complete at once are sealed concurrently (Web Crypto may run them in parallel) and
 * written in order. With a worker pool (`pool`, ./pool/web-frame-pipes.ts), the regular frames are
 * sealed there instead and emitted in order as they come back; the header and the final frame stay here.
 * spec: client-apis/encrypt.md, data-format/message-body.md, message-footer.md.
 */
import type { AsyncCryptoBackend, AsyncGcmKey, AsyncIncrementalSigner } from './async-backend';
import type { EncoderInput } from './encoder';
import { footer, FrameWriter, type SealJob } from './frame-writer';
import type { MessageHeader } from './header';
import { headerAuth } from './header-auth';
import type { FramePipe, FramePipes } from './pool/web-frame-pipes';
import { newMessageAsync } from './web-header-auth';

/**
 * As the Node encoder's input, over the async seam; the data key is not retained (derived and
 * imported in create()). `pool`: seal the regular frames on a client's workers (Web Crypto there).
 */
export type AsyncEncoderInput = Omit<EncoderInput, 'backend'> & { readonly backend: AsyncCryptoBackend; readonly pool?: FramePipes | undefined };

export class AsyncMessageEncoder {
  private readonly frames: FrameWriter;

  private constructor(
    readonly header: MessageHeader,
    private readonly key: AsyncGcmKey,
    private readonly signer: AsyncIncrementalSigner | undefined,
    private readonly headerAadTail: Uint8Array,
    private readonly pipe: FramePipe | undefined,
    /** Message bytes the pool sealed (in order), not yet returned. */
    private readonly ready: Uint8Array[],
  ) {
    this.frames = new FrameWriter(header.messageId, header.frameLength);
  }

  static async create(input: AsyncEncoderInput): Promise<AsyncMessageEncoder> {
    const makePipe = await input.pool?.();
    let pipe: FramePipe | undefined;
    const ready: Uint8Array[] = [];
    const { header, key, headerAadTail } = await newMessageAsync(input, (raw) => {
      pipe = makePipe?.('seal', input.frameLength, raw, (bytes) => ready.push(bytes));
    });
    let signer: AsyncIncrementalSigner | undefined;
    try {
      signer = input.signingKey ? await input.backend.createSigner(input.signingKey) : undefined;
    } catch (e) {
      pipe?.close();
      key.destroy();
      throw e;
    }
    return new AsyncMessageEncoder(header, key, signer, headerAadTail, pipe, ready);
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
      return this.emit(this.ready.splice(0));
    }
    if (jobs.length === 0) return [];
    const sealed = await Promise.all(jobs.map((job) => this.seal(job)));
    return this.emit(sealed.flat());
  }

  /** Seal the final frame (or the single block) and append the signature footer. */
  async final(): Promise<Uint8Array[]> {
    const job = this.frames.final();
    await this.pipe?.finish();
    const out = this.emit(this.ready.splice(0));
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
    this.ready.length = 0;
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
