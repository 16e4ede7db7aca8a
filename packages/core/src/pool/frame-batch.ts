/**
 * Packing whole frames of one message into transferable buffers for a pool worker (layouts in
 * ./protocol.ts; frame layout: AWS Encryption SDK data-format/message-body.md). The plaintext or
 * ciphertext is copied once, into a batch buffer that is then transferred (moved, not copied) to the
 * worker and back, and reused for the next batch; each frame's output comes back in its own buffer
 * (node:crypto's), also transferred. The caller's own buffers are never transferred (that would
 * detach them).
 */
import type { SealJob } from '../frame-writer';
import type { SealedPiece } from '../frame-reader';
import type { PoolReply, PoolTask } from './protocol';

/** Bytes of plaintext a batch aims at: large enough that a worker round trip (tens of µs) is a few % of it. */
export const BATCH_TARGET = 512 * 1024;
/** Largest body AAD: message id (32) ‖ longest label (35) ‖ u32 sequence ‖ u64 length. */
const MAX_AAD = 32 + 35 + 12;
/** Per frame in `meta`: u32 length ‖ iv(12) ‖ tag(16) ‖ u16 aadLength ‖ aad. */
const META_FIXED = 34;

/** Frames per batch for a frame length: whole frames, at least one, about BATCH_TARGET bytes. */
export function framesPerBatch(frameLength: number): number {
  return Math.max(1, Math.floor(BATCH_TARGET / Math.max(1, frameLength)));
}

type Done = Extract<PoolReply, { ok: true }>;

/** A batch under construction: frames are appended until `full`; `task()` hands it over (once). */
export class FrameBatch {
  private readonly data: Uint8Array;
  private readonly meta: Uint8Array;
  private readonly view: DataView;
  private readonly prefixes: Uint8Array[] = [];
  private readonly tagAt: number[] = [];
  private readonly lengths: number[] = [];
  private at = 0;
  private metaAt = 0;
  frames = 0;

  /** `spare`: a data buffer of an earlier batch of the same stream, reused if large enough. */
  constructor(
    private readonly op: 'seal' | 'open',
    private readonly capacity: number,
    frameLength: number,
    spare: ArrayBuffer | undefined,
  ) {
    const size = capacity * frameLength;
    this.data = spare && spare.byteLength >= size ? new Uint8Array(spare) : new Uint8Array(size);
    this.meta = new Uint8Array(capacity * (META_FIXED + MAX_AAD));
    this.view = new DataView(this.meta.buffer);
  }

  get full(): boolean {
    return this.frames >= this.capacity;
  }

  /** Append a frame to seal: its plaintext pieces, IV and AAD; its prefix is kept for the output. */
  addSeal(job: SealJob): void {
    const length = this.copy(job.plaintext);
    this.prefixes.push(job.prefix);
    this.describe(length, job.iv, undefined, job.aad);
  }

  /** Append a frame to open: its ciphertext pieces, IV, tag and AAD. */
  addOpen(piece: SealedPiece): void {
    this.describe(this.copy(piece.ciphertext), piece.iv, piece.tag, piece.aad);
  }

  /** The task for a worker (with a fresh copy of `key`, transferred and wiped there) and what to transfer. */
  task(key: Uint8Array): { task: PoolTask; transfer: ArrayBuffer[] } {
    const ownKey = new Uint8Array(key);
    const data = this.data.buffer as ArrayBuffer;
    const meta = this.meta.buffer as ArrayBuffer;
    return { task: { op: this.op, key: ownKey, data, meta, frames: this.frames }, transfer: [data, meta, ownKey.buffer] };
  }

  /** The sealed frames as message bytes: prefix ‖ ciphertext ‖ tag for each. */
  sealed(reply: Done): Uint8Array[] {
    const meta = new Uint8Array(reply.meta!);
    const outputs = reply.outputs!;
    const pieces: Uint8Array[] = [];
    for (let i = 0, k = 0; i < this.frames; i++) {
      pieces.push(this.prefixes[i]!);
      if (this.lengths[i]! > 0) pieces.push(new Uint8Array(outputs[k++]!));
      pieces.push(meta.subarray(this.tagAt[i]!, this.tagAt[i]! + 16));
    }
    return pieces;
  }

  /** The opened frames' plaintexts, in order. */
  opened(reply: Done): Uint8Array[] {
    return reply.outputs!.map((o) => new Uint8Array(o));
  }

  private copy(pieces: readonly Uint8Array[]): number {
    const start = this.at;
    for (const p of pieces) {
      this.data.set(p, this.at);
      this.at += p.length;
    }
    return this.at - start;
  }

  private describe(length: number, iv: Uint8Array, tag: Uint8Array | undefined, aad: Uint8Array): void {
    const m = this.metaAt;
    this.view.setUint32(m, length);
    this.meta.set(iv, m + 4);
    if (tag) this.meta.set(tag, m + 16);
    this.view.setUint16(m + 32, aad.length);
    this.meta.set(aad, m + META_FIXED);
    this.tagAt.push(m + 16);
    this.lengths.push(length);
    this.metaAt = m + META_FIXED + aad.length;
    this.frames++;
  }
}
