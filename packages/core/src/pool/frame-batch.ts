/**
 * Packing whole frames of one message into transferable buffers for a pool worker (layouts in
 * ./protocol.ts; frame layout: AWS Encryption SDK data-format/message-body.md). The plaintext or
 * ciphertext is copied once, into a batch buffer that is transferred (moved, not copied) to the
 * worker and back, and reused for the next batch; the result comes back in buffers the worker
 * allocated, handed on as they are. The caller's own buffers are never transferred (that would
 * detach them).
 */
import type { SealedPiece } from '../frame-reader';
import type { SealJob } from '../frame-writer';
import { BATCH_TARGET } from './batch-target';
import { type BatchTask, META_FIXED } from './protocol';

export { BATCH_TARGET };
/** Largest body AAD: message id (32) ‖ longest label (35) ‖ u32 sequence ‖ u64 length. */
const MAX_AAD = 32 + 35 + 12;
/** Largest frame prefix (a final frame's; only regular frames go to the pool, 16 bytes). */
const MAX_PREFIX = 24;
const TAG = 16;

/** Frames per batch for a frame length: whole frames, at least one, about BATCH_TARGET bytes. */
export function framesPerBatch(frameLength: number): number {
  return Math.max(1, Math.floor(BATCH_TARGET / Math.max(1, frameLength)));
}

/** The two buffers a stream reuses from one batch to the next. */
export interface BatchBuffers {
  readonly data: ArrayBuffer;
  readonly meta: ArrayBuffer;
}

/** A batch under construction: frames are appended until `full`; `task()` hands it over (once). */
export class FrameBatch {
  private readonly data: Uint8Array;
  private readonly meta: Uint8Array;
  private readonly view: DataView;
  private at = 0;
  private metaAt = 0;
  frames = 0;

  /** `spare`: the buffers of an earlier batch of the same stream, reused where large enough. */
  constructor(
    private readonly op: 'seal' | 'open',
    private readonly capacity: number,
    frameLength: number,
    spare: BatchBuffers | undefined,
  ) {
    this.data = reuse(spare?.data, capacity * (frameLength + (op === 'open' ? TAG : 0)));
    this.meta = reuse(spare?.meta, capacity * (META_FIXED + MAX_AAD + MAX_PREFIX));
    this.view = new DataView(this.meta.buffer);
  }

  get full(): boolean {
    return this.frames >= this.capacity;
  }

  /** Append a frame to seal: its plaintext pieces, IV, AAD and prefix (the frame's bytes ahead of its ciphertext). */
  addSeal(job: SealJob): void {
    this.describe(this.copy(job.plaintext), job.iv, job.aad, job.prefix);
  }

  /** Append a frame to open: its ciphertext pieces and tag, IV and AAD. */
  addOpen(piece: SealedPiece): void {
    const length = this.copy(piece.ciphertext);
    this.data.set(piece.tag, this.at);
    this.at += TAG;
    this.describe(length, piece.iv, piece.aad, undefined);
  }

  /** The task for a worker (with a fresh copy of `key`, transferred and wiped there) and what to transfer. */
  task(key: Uint8Array): { task: BatchTask; transfer: ArrayBuffer[] } {
    const ownKey = new Uint8Array(key);
    const data = this.data.buffer as ArrayBuffer;
    const meta = this.meta.buffer as ArrayBuffer;
    const task: BatchTask = { op: this.op, key: ownKey, data, meta, frames: this.frames };
    return { task, transfer: [data, meta, ownKey.buffer] };
  }

  /** Zero the batch's input (plaintext when sealing) if it is dropped unsent. */
  wipe(): void {
    this.data.fill(0);
  }

  private copy(pieces: readonly Uint8Array[]): number {
    const start = this.at;
    for (const p of pieces) {
      this.data.set(p, this.at);
      this.at += p.length;
    }
    return this.at - start;
  }

  private describe(length: number, iv: Uint8Array, aad: Uint8Array, prefix: Uint8Array | undefined): void {
    const m = this.metaAt;
    const prefixLength = prefix?.length ?? 0;
    this.view.setUint32(m, length);
    this.meta.set(iv, m + 4);
    this.view.setUint16(m + 16, aad.length);
    this.view.setUint16(m + 18, prefixLength);
    this.meta.set(aad, m + META_FIXED);
    if (prefix) this.meta.set(prefix, m + META_FIXED + aad.length);
    this.metaAt = m + META_FIXED + aad.length + prefixLength;
    this.frames++;
  }
}

/** A reused buffer if it is large enough, else a new one (the old one zeroed: it may hold plaintext). */
function reuse(spare: ArrayBuffer | undefined, size: number): Uint8Array {
  if (spare && spare.byteLength >= size) return new Uint8Array(spare);
  if (spare) new Uint8Array(spare).fill(0);
  return new Uint8Array(size);
}
