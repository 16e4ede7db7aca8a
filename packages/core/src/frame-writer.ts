/**
 * FrameWriter: the framing half of encryption, without any cryptography. It cuts plaintext into
 * frames and says, for each, the IV, the AAD and the prefix to write (laid out by ./frame.ts); a driver (./encoder for a
 * synchronous backend, ./web-encoder for the async seam) seals them. Sharing it keeps the message
 * layout in one place for every runtime.
 * spec: data-format/message-body.md (frames, final frame, non-framed data), message-header.md.
 *
 * Memory: at most one frame of plaintext is held (a frame is sealed only once we know whether it is
 * the final one, because the final frame's AAD label and length differ).
 */
import { type Allocate, MAX_NON_FRAMED_LENGTH } from './body';
import { ByteQueue } from './byte-queue';
import { putU16 } from './bytes';
import { StrongroomError } from './errors';
import { frameSeal, type FrameSeal, singleBlockSeal } from './frame';

export interface SealJob extends FrameSeal {
  readonly plaintext: Uint8Array[];
}

export class FrameWriter {
  /** Plaintext not yet in a frame (views of the caller's chunks, not copies). */
  private readonly pending = new ByteQueue();
  private sequence = 1;
  private started = false;
  private finished = false;

  constructor(
    private readonly messageId: Uint8Array,
    private readonly frameLength: number,
    /** Where each frame's AAD is written (a backend's transientBytes). */
    private readonly allocate?: Allocate,
  ) {}

  /** Call once, first (the header is written before any frame). */
  start(): void {
    if (this.started) throw new StrongroomError('INTERNAL', 'MessageEncoder.start() called twice');
    this.started = true;
  }

  /** Feed plaintext; returns the frames that are complete (a frame is sealed once more bytes follow it). */
  update(chunk: Uint8Array): SealJob[] {
    if (!this.started || this.finished) throw new StrongroomError('INTERNAL', 'MessageEncoder.update() out of order');
    if (chunk.length === 0) return [];
    this.pending.push(chunk);
    const frameLength = this.frameLength;
    if (frameLength === 0) {
      if (this.pending.length > MAX_NON_FRAMED_LENGTH) {
        throw new StrongroomError('LIMIT_EXCEEDED', `A non-framed message holds at most ${MAX_NON_FRAMED_LENGTH} bytes`);
      }
      return [];
    }
    const jobs: SealJob[] = [];
    while (this.pending.length > frameLength) jobs.push(this.frame(this.pending.take(frameLength), frameLength, false));
    return jobs;
  }

  /** The final frame (or the single block) with everything still pending. */
  final(): SealJob {
    if (!this.started || this.finished) throw new StrongroomError('INTERNAL', 'MessageEncoder.final() out of order');
    this.finished = true;
    const length = this.pending.length;
    const pieces = this.pending.take(length);
    return this.frameLength === 0 ? this.singleBlock(pieces, length) : this.frame(pieces, length, true);
  }

  /** Drop pending plaintext (on error or abort). */
  destroy(): void {
    this.finished = true;
    this.pending.take(this.pending.length);
  }

  private frame(plaintext: Uint8Array[], length: number, final: boolean): SealJob {
    const { prefix, iv, aad } = frameSeal(this.messageId, this.sequence++, length, final, this.allocate);
    return { prefix, iv, aad, plaintext };
  }

  private singleBlock(plaintext: Uint8Array[], length: number): SealJob {
    const { prefix, iv, aad } = singleBlockSeal(this.messageId, length, this.allocate);
    return { prefix, iv, aad, plaintext };
  }
}

/** The signature footer: u16 length ‖ DER signature (spec: data-format/message-footer.md). */
export function footer(signature: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + signature.length);
  out.set(signature, putU16(out, 0, signature.length));
  return out;
}
