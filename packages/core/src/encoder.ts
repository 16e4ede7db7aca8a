/**
 * MessageEncoder: turns plaintext pieces into an AWS Encryption SDK message, incrementally, with a
 * synchronous backend (the Node entry's hot path: nothing here awaits). The one-shot `encrypt()` and
 * the streaming `encryptStream()` both drive this one machine; the framing is ./frame-writer, shared
 * with the web entry's ./web-encoder.
 * spec: client-apis/encrypt.md, data-format/message-body.md, data-format/message-footer.md.
 */
import { type IncrementalSigner, type SigningKeyPair, transientBytes } from './backend';
import { footer, FrameWriter, type SealJob } from './frame-writer';
import type { MessageHeader } from './header';
import { newMessage, sealHeader, type NewMessage, type NewMessageInput } from './header-auth';

export interface EncoderInput extends NewMessageInput {
  readonly signingKey: SigningKeyPair | undefined;
}

export class MessageEncoder {
  readonly header: MessageHeader;
  private readonly key: Uint8Array;
  private readonly signer: IncrementalSigner | undefined;
  private readonly message: NewMessage;
  private readonly frames: FrameWriter;

  constructor(private readonly input: EncoderInput) {
    this.message = newMessage(input);
    this.header = this.message.header;
    this.key = this.message.key;
    this.signer = input.signingKey ? input.backend.createSigner(input.signingKey) : undefined;
    this.frames = new FrameWriter(this.header.messageId, input.frameLength, transientBytes(input.backend));
  }

  /** Header body ‖ header authentication. Call once, first. */
  start(): Uint8Array[] {
    this.frames.start();
    // spec: client-apis/encrypt.md — AAD = header body ‖ serialized encryption context to only authenticate.
    return this.emit(sealHeader(this.input.backend, this.message));
  }

  /** Feed plaintext; returns the message bytes that are ready (whole frames). */
  update(chunk: Uint8Array): Uint8Array[] {
    const jobs = this.frames.update(chunk);
    if (jobs.length === 0) return [];
    const out: Uint8Array[] = [];
    for (const job of jobs) this.seal(job, out);
    return this.emit(out);
  }

  /** Seal the final frame (or the single block) and append the signature footer. */
  final(): Uint8Array[] {
    const out = this.emit(this.seal(this.frames.final(), []));
    this.key.fill(0);
    if (this.signer) out.push(footer(this.signer.sign()));
    return out;
  }

  /** Wipe the content key without finishing (on error or abort). */
  destroy(): void {
    this.frames.destroy();
    this.key.fill(0);
  }

  private emit(pieces: Uint8Array[]): Uint8Array[] {
    if (this.signer) for (const p of pieces) this.signer.update(p);
    return pieces;
  }

  private seal(job: SealJob, out: Uint8Array[]): Uint8Array[] {
    const { ciphertext, tag } = this.input.backend.gcmEncrypt(this.key, job.iv, job.aad, job.plaintext);
    out.push(job.prefix);
    for (const c of ciphertext) out.push(c);
    out.push(tag);
    return out;
  }
}
