/**
 * MessageEncoder: turns plaintext pieces into an AWS Encryption SDK message, incrementally.
 * The one-shot `encrypt()` and the streaming `encryptStream()` both drive this one state machine.
 *
 * Memory: at most one frame of plaintext is held (a frame is sealed only once we know whether it is
 * the final one, because the final frame's AAD label and length differ).
 */
import type { IncrementalSigner, SigningKeyPair } from './backend';
import { bodyAad, frameIv, MAX_NON_FRAMED_LENGTH } from './body';
import { StrongroomError } from './errors';
import { sealFrame } from './frame';
import type { MessageHeader } from './header';
import { newMessage, sealHeader, type NewMessage, type NewMessageInput } from './header-auth';

export interface EncoderInput extends NewMessageInput {
  readonly signingKey: SigningKeyPair | undefined;
}

export class MessageEncoder {
  readonly header: MessageHeader;
  private readonly message: NewMessage;
  private readonly key: Uint8Array;
  private readonly signer: IncrementalSigner | undefined;
  private pending: Uint8Array[] = [];
  private pendingLength = 0;
  private sequence = 1;
  private started = false;
  private finished = false;
  /** Plaintext bytes encrypted so far (for data-key usage limits). */
  bytesIn = 0;

  constructor(private readonly input: EncoderInput) {
    this.message = newMessage(input);
    this.header = this.message.header;
    this.key = this.message.key;
    this.signer = input.signingKey ? input.backend.createSigner(input.signingKey) : undefined;
  }

  /** Header body ‖ header authentication. Call once, first. */
  start(): Uint8Array[] {
    if (this.started) throw new StrongroomError('INTERNAL', 'MessageEncoder.start() called twice');
    this.started = true;
    // spec: client-apis/encrypt.md — AAD = header body ‖ serialized encryption context to only authenticate.
    return this.emit(sealHeader(this.input.backend, this.message));
  }

  /** Feed plaintext; returns the message bytes that are ready (whole frames). */
  update(chunk: Uint8Array): Uint8Array[] {
    if (!this.started || this.finished) throw new StrongroomError('INTERNAL', 'MessageEncoder.update() out of order');
    if (chunk.length === 0) return [];
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    this.bytesIn += chunk.length;
    const frameLength = this.input.frameLength;
    if (frameLength === 0) {
      if (this.pendingLength > MAX_NON_FRAMED_LENGTH) {
        throw new StrongroomError('LIMIT_EXCEEDED', `A non-framed message holds at most ${MAX_NON_FRAMED_LENGTH} bytes`);
      }
      return [];
    }
    const out: Uint8Array[] = [];
    // A frame is sealed as "regular" only once more bytes follow it; otherwise it may be the final one.
    while (this.pendingLength > frameLength) out.push(...this.sealFrame(this.take(frameLength), frameLength, false));
    return this.emit(out);
  }

  /** Seal the final frame (or the single block) and append the signature footer. */
  final(): Uint8Array[] {
    if (!this.started || this.finished) throw new StrongroomError('INTERNAL', 'MessageEncoder.final() out of order');
    this.finished = true;
    const length = this.pendingLength;
    const pieces = this.take(length);
    const out = this.emit(
      this.input.frameLength === 0 ? this.sealSingleBlock(pieces, length) : this.sealFrame(pieces, length, true),
    );
    this.key.fill(0);
    if (this.signer) {
      const signature = this.signer.sign();
      const footer = new Uint8Array(2 + signature.length);
      new DataView(footer.buffer).setUint16(0, signature.length);
      footer.set(signature, 2);
      out.push(footer);
    }
    return out;
  }

  /** Wipe the content key without finishing (on error or abort). */
  destroy(): void {
    this.finished = true;
    this.key.fill(0);
    this.pending = [];
  }

  private emit(pieces: Uint8Array[]): Uint8Array[] {
    if (this.signer) for (const p of pieces) this.signer.update(p);
    return pieces;
  }

  /** Remove exactly n bytes from the front of the pending pieces, without copying. */
  private take(n: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let need = n;
    while (need > 0) {
      const head = this.pending[0]!;
      if (head.length <= need) {
        out.push(head);
        this.pending.shift();
        need -= head.length;
      } else {
        out.push(head.subarray(0, need));
        this.pending[0] = head.subarray(need);
        need = 0;
      }
    }
    this.pendingLength -= n;
    return out;
  }

  private sealFrame(plaintext: Uint8Array[], length: number, final: boolean): Uint8Array[] {
    return sealFrame(this.input.backend, this.key, this.header.messageId, this.sequence++, plaintext, length, final);
  }

  private sealSingleBlock(plaintext: Uint8Array[], length: number): Uint8Array[] {
    const iv = frameIv(1);
    const aad = bodyAad(this.header.messageId, 'single', 1, length);
    const { ciphertext, tag } = this.input.backend.gcmEncrypt(this.key, iv, aad, plaintext);
    const prefix = new Uint8Array(20);
    prefix.set(iv);
    const view = new DataView(prefix.buffer);
    view.setUint32(12, Math.floor(length / 2 ** 32));
    view.setUint32(16, length >>> 0);
    return [prefix, ...ciphertext, tag];
  }
}
