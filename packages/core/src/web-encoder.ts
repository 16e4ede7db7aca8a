/**
 * AsyncMessageEncoder: the web entry's encoder, over the async backend seam. The framing is
 * ./frame-writer, the same code the Node entry's ./encoder drives; only the sealing awaits. Frames
 * that are complete at once are sealed concurrently (Web Crypto may run them in parallel) and
 * written in order. A client with a worker pool uses ./pool/web-pooled-encoder.ts, which seals the
 * regular frames there instead.
 * spec: client-apis/encrypt.md, data-format/message-body.md, message-footer.md.
 */
import type { AsyncCryptoBackend, AsyncGcmKey, AsyncIncrementalSigner } from './async-backend';
import type { EncoderInput } from './encoder';
import { footer, FrameWriter, type SealJob } from './frame-writer';
import type { MessageHeader } from './header';
import { headerAuth } from './header-auth';
import type { FramePipes } from './pool/web-frame-pipes';
import { type AsyncNewMessage, type ContentKeyHook, newMessageAsync } from './web-header-auth';

/**
 * As the Node encoder's input, over the async seam; the data key is not retained (derived and
 * imported when the message starts).
 */
export type AsyncEncoderInput = Omit<EncoderInput, 'backend'> & { readonly backend: AsyncCryptoBackend };

/** A started message: its header, its bound content key, the header tag's AAD tail and its signer. */
export interface StartedMessage extends AsyncNewMessage {
  readonly signer: AsyncIncrementalSigner | undefined;
}

/**
 * Start a message: draw its id, derive and bind its content key (`onContentKey` sees the raw key
 * before it is wiped: a pooled encoder copies it to its pipe), and make its signer, if the suite signs.
 */
export async function startMessage(input: AsyncEncoderInput, onContentKey?: ContentKeyHook): Promise<StartedMessage> {
  const message = await newMessageAsync(input, onContentKey);
  try {
    return { ...message, signer: input.signingKey ? await input.backend.createSigner(input.signingKey) : undefined };
  } catch (e) {
    message.key.destroy();
    throw e;
  }
}

export class AsyncMessageEncoder {
  readonly header: MessageHeader;
  protected readonly frames: FrameWriter;
  private readonly key: AsyncGcmKey;
  private readonly signer: AsyncIncrementalSigner | undefined;
  private readonly headerAadTail: Uint8Array;

  constructor(message: StartedMessage) {
    ({ header: this.header, key: this.key, signer: this.signer, headerAadTail: this.headerAadTail } = message);
    this.frames = new FrameWriter(this.header.messageId, this.header.frameLength);
  }

  /** A message's encoder: on the calling thread, or with `pool` its regular frames sealed there. */
  static async create(input: AsyncEncoderInput, pool?: FramePipes): Promise<AsyncMessageEncoder> {
    return pool ? pool.encoder(input) : new AsyncMessageEncoder(await startMessage(input));
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
    if (jobs.length === 0) return [];
    const sealed = await Promise.all(jobs.map((job) => this.seal(job)));
    return this.emit(sealed.flat());
  }

  /** Seal the final frame (or the single block) and append the signature footer. */
  async final(): Promise<Uint8Array[]> {
    const job = this.frames.final();
    const out = this.emit(await this.seal(job));
    this.key.destroy();
    if (this.signer) out.push(footer(await this.signer.sign()));
    return out;
  }

  /** Forget the content key without finishing (on error or abort). */
  destroy(): void {
    this.frames.destroy();
    this.key.destroy();
  }

  /** Message bytes on their way out, in order: signed first if the suite signs. */
  protected emit(pieces: Uint8Array[]): Uint8Array[] {
    if (this.signer) for (const p of pieces) this.signer.update(p);
    return pieces;
  }

  private async seal(job: SealJob): Promise<Uint8Array[]> {
    const { ciphertext, tag } = await this.key.encrypt(job.iv, job.aad, job.plaintext);
    return [job.prefix, ...ciphertext, tag];
  }
}
