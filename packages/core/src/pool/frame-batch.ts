/**
 * Packing whole frames of one message into one transferable buffer for a pool worker (layouts in
 * ./protocol.ts; frame layout: AWS Encryption SDK data-format/message-body.md). The plaintext or
 * ciphertext is copied once, into a buffer that is then transferred (moved, not copied) to the
 * worker and back: the caller's own buffers are never transferred (that would detach them).
 */
import { FINAL_FRAME_OVERHEAD } from '../frame';
import type { SealJob } from '../frame-writer';
import type { SealedPiece } from '../frame-reader';
import type { PoolTask } from './protocol';

/** Bytes of plaintext a batch aims at: large enough that a worker round trip (tens of µs) is a few % of it. */
export const BATCH_TARGET = 512 * 1024;
/** Largest body AAD: message id (32) ‖ longest label (35) ‖ u32 sequence ‖ u64 length. */
const MAX_AAD = 32 + 35 + 12;

/** Frames per batch for a frame length: whole frames, at least one, about BATCH_TARGET bytes. */
export function framesPerBatch(frameLength: number): number {
  return Math.max(1, Math.floor(BATCH_TARGET / Math.max(1, frameLength)));
}

/** A batch under construction: frames are appended until `full`; `task()` hands it over (once). */
export class FrameBatch {
  readonly data: Uint8Array;
  private readonly meta: Uint8Array;
  private readonly metaView: DataView;
  private at = 0;
  private metaAt = 0;
  frames = 0;
  /** Plaintext bytes of the frames in this batch. */
  bytes = 0;

  constructor(
    private readonly op: 'seal' | 'open',
    private readonly capacity: number,
    frameLength: number,
  ) {
    const perFrame = op === 'seal' ? frameLength + FINAL_FRAME_OVERHEAD : frameLength;
    this.data = new Uint8Array(capacity * perFrame);
    this.meta = new Uint8Array(capacity * (34 + MAX_AAD));
    this.metaView = new DataView(this.meta.buffer);
  }

  get full(): boolean {
    return this.frames >= this.capacity;
  }

  /** Append a frame to seal: its prefix and plaintext are written where the frame will be. */
  addSeal(job: SealJob, length: number): void {
    const { data, metaView, meta } = this;
    data.set(job.prefix, this.at);
    let at = this.at + job.prefix.length;
    for (const piece of job.plaintext) {
      data.set(piece, at);
      at += piece.length;
    }
    this.at = at + 16;
    const ivOffset = job.prefix.length - 12 - (job.prefix.length === 24 ? 4 : 0);
    metaView.setUint8(this.metaAt, job.prefix.length);
    metaView.setUint8(this.metaAt + 1, ivOffset);
    metaView.setUint32(this.metaAt + 2, length);
    metaView.setUint16(this.metaAt + 6, job.aad.length);
    meta.set(job.aad, this.metaAt + 8);
    this.metaAt += 8 + job.aad.length;
    this.frames++;
    this.bytes += length;
  }

  /** Append a frame to open: its ciphertext back to back with the others, IV, tag and AAD in the meta. */
  addOpen(piece: SealedPiece): void {
    const { data, metaView, meta } = this;
    let at = this.at;
    for (const c of piece.ciphertext) {
      data.set(c, at);
      at += c.length;
    }
    const length = at - this.at;
    this.at = at;
    metaView.setUint32(this.metaAt, length);
    meta.set(piece.iv, this.metaAt + 4);
    meta.set(piece.tag, this.metaAt + 16);
    metaView.setUint16(this.metaAt + 32, piece.aad.length);
    meta.set(piece.aad, this.metaAt + 34);
    this.metaAt += 34 + piece.aad.length;
    this.frames++;
    this.bytes += length;
  }

  /** Bytes of `data` in use (sealed frames, or plaintext once opened). */
  get used(): number {
    return this.at;
  }

  /** The task for a worker (with a fresh copy of `key`, transferred and wiped there) and what to transfer. */
  task(key: Uint8Array): { task: PoolTask; transfer: ArrayBuffer[] } {
    const ownKey = new Uint8Array(key);
    const data = this.data.buffer as ArrayBuffer;
    const meta = this.meta.buffer as ArrayBuffer;
    return { task: { op: this.op, key: ownKey, data, meta, frames: this.frames }, transfer: [data, meta, ownKey.buffer] };
  }
}
