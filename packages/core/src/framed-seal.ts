/**
 * A framed message sealed frame by frame, in any order: the header first, then each frame by its
 * sequence number, so the parts of a multipart upload can be sealed independently and concurrently.
 * The result is byte for byte a normal framed message (any AWS Encryption SDK reads it).
 * spec: data-format/message-body.md#framed-data — sequence numbers start at 1 and increase by one;
 * every frame but the final one holds exactly the frame length; the final frame is the last one.
 *
 * The frame IV is the sequence number, so sealing one number twice would reuse a GCM nonce: each
 * number is sealed at most once, and never above the final frame's.
 */
import type { CryptoBackend } from './backend';
import { MAX_FRAMES } from './body';
import { concatBytes } from './bytes';
import { StrongroomError } from './errors';
import { FINAL_FRAME_OVERHEAD, REGULAR_FRAME_OVERHEAD, sealFrame } from './frame';
import type { MessageHeader } from './header';
import { newMessage, sealHeader, type NewMessageInput } from './header-auth';

/** Seals the frames of one framed message (from `client.createFramedSealer()`). */
export interface FramedSealer {
  readonly header: MessageHeader;
  /** The serialized, authenticated header: the message's first bytes. */
  readonly headerBytes: Uint8Array;
  readonly frameLength: number;
  /**
   * Seal frame `sequence` (1-based). A regular frame holds exactly `frameLength` bytes; the final
   * frame 0 … `frameLength`. Returns the frame's bytes, to be placed at
   * `headerBytes.length + (sequence − 1) × (frameLength + 32)`.
   * @throws StrongroomError INVALID_ARGUMENT for a sequence number sealed before, a frame after the
   *   final one, a second final frame or a wrong length; LIMIT_EXCEEDED past 2^32 − 2 frames.
   */
  sealFrame(sequence: number, plaintext: Uint8Array | readonly Uint8Array[], isFinal: boolean): Uint8Array;
  /**
   * As {@link FramedSealer.sealFrame}, writing the frame into `target` at `offset` instead of a new
   * buffer (for callers that fill reused part buffers: no per-frame copy to collect); returns the
   * frame's length (plaintext + 32 bytes, a final frame's + 40).
   * @throws StrongroomError as `sealFrame`, and INVALID_ARGUMENT, before sealing anything, when the
   *   frame does not fit in `target` from `offset`.
   */
  sealFrameInto(sequence: number, plaintext: Uint8Array | readonly Uint8Array[], isFinal: boolean, target: Uint8Array, offset: number): number;
  /** Check that frames 1 … final were all sealed (else INVALID_ARGUMENT), then wipe the key. */
  finish(): void;
  /** Wipe the key without finishing (on error or abort). */
  destroy(): void;
}

/** Sequence numbers sealed so far, as sorted disjoint intervals (parts seal runs, so these stay few). */
function createIntervalSet() {
  const runs: [number, number][] = [];
  const indexAfter = (n: number) => {
    let lo = 0;
    let hi = runs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (runs[mid]![0] <= n) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    has(n: number): boolean {
      const i = indexAfter(n) - 1;
      return i >= 0 && runs[i]![1] >= n;
    },
    add(n: number): void {
      const i = indexAfter(n);
      const before = runs[i - 1];
      const after = runs[i];
      if (before && before[1] === n - 1) {
        before[1] = n;
        if (after && after[0] === n + 1) {
          before[1] = after[1];
          runs.splice(i, 1);
        }
      } else if (after && after[0] === n + 1) after[0] = n;
      else runs.splice(i, 0, [n, n]);
    },
    max(): number {
      return runs.length === 0 ? 0 : runs[runs.length - 1]![1];
    },
    /** True when exactly 1 … n are present. */
    isPrefix(n: number): boolean {
      return runs.length === 1 && runs[0]![0] === 1 && runs[0]![1] === n;
    },
    /** First missing number ≥ 1. */
    firstGap(): number {
      return runs.length === 0 || runs[0]![0] !== 1 ? 1 : runs[0]![1] + 1;
    },
  };
}

/**
 * The rules every framed sealer enforces, whatever its backend: each sequence number sealed at most
 * once (its IV is the number), regular frames exactly `frameLength`, the final frame last, and at
 * `finish()` every frame up to the final one sealed.
 */
export interface SealOrder {
  /** Check that frame `sequence` may be sealed now and record it; returns its pieces and length. */
  claim(sequence: number, plaintext: Uint8Array | readonly Uint8Array[], isFinal: boolean): { pieces: readonly Uint8Array[]; length: number };
  /** INVALID_ARGUMENT unless frames 1 … final were all claimed; the order is closed either way. */
  finish(): void;
  /** Close the order (no more frames). */
  close(): void;
}

export function sealOrder(frameLength: number): SealOrder {
  const sealed = createIntervalSet();
  let finalSequence = 0;
  let done = false;
  const bad = (m: string) => new StrongroomError('INVALID_ARGUMENT', `sealFrame: ${m}`);
  return {
    claim(sequence, plaintext, isFinal) {
      if (done) throw bad('the sealer is finished or destroyed');
      if (!Number.isInteger(sequence) || sequence < 1 || sequence > MAX_FRAMES) {
        throw new StrongroomError('LIMIT_EXCEEDED', `sealFrame: sequence ${String(sequence)} is outside 1 … 2^32 − 2`);
      }
      const pieces: readonly Uint8Array[] = plaintext instanceof Uint8Array ? [plaintext] : plaintext;
      let length = 0;
      for (const p of pieces) {
        if (!(p instanceof Uint8Array)) throw bad('plaintext must be a Uint8Array or an array of them');
        length += p.length;
      }
      if (isFinal ? length > frameLength : length !== frameLength) {
        throw bad(`frame ${sequence} holds ${length} bytes; a ${isFinal ? 'final frame holds at most' : 'regular frame holds exactly'} ${frameLength}`);
      }
      if (sealed.has(sequence)) throw bad(`frame ${sequence} was sealed before (its IV would be reused)`);
      if (finalSequence !== 0 && (isFinal || sequence > finalSequence)) {
        throw bad(`frame ${sequence} comes after the final frame ${finalSequence}`);
      }
      if (isFinal && sealed.max() > sequence) throw bad(`the final frame ${sequence} would precede frame ${sealed.max()}`);
      sealed.add(sequence);
      if (isFinal) finalSequence = sequence;
      return { pieces, length };
    },
    finish() {
      if (done) throw bad('the sealer is finished or destroyed');
      done = true;
      if (finalSequence === 0) throw bad('the final frame was never sealed');
      if (!sealed.isPrefix(finalSequence)) throw bad(`frame ${sealed.firstGap()} was never sealed (frames 1 … ${finalSequence} must all be sealed)`);
    },
    close() {
      done = true;
    },
  };
}

/** Bytes of a sealed frame of `plaintext` (pieces that are not Uint8Arrays count 0: claim() refuses them). */
function sealedFrameSize(plaintext: Uint8Array | readonly Uint8Array[], isFinal: boolean): number {
  let length = 0;
  for (const p of plaintext instanceof Uint8Array ? [plaintext] : Array.isArray(plaintext) ? plaintext : []) if (p instanceof Uint8Array) length += p.length;
  return length + (isFinal ? FINAL_FRAME_OVERHEAD : REGULAR_FRAME_OVERHEAD);
}

/** Build a sealer from fresh materials (the client checks the suite and frame length first). */
export function framedSealer(backend: CryptoBackend, input: NewMessageInput): FramedSealer {
  const message = newMessage(input);
  const { header, key } = message;
  const headerBytes = concatBytes(sealHeader(backend, message));
  const frameLength = input.frameLength;
  const order = sealOrder(frameLength);

  function destroy(): void {
    order.close();
    key.fill(0);
  }

  return {
    header,
    headerBytes,
    frameLength,
    sealFrame(sequence, plaintext, isFinal) {
      const { pieces, length } = order.claim(sequence, plaintext, isFinal);
      return concatBytes(sealFrame(backend, key, header.messageId, sequence, pieces, length, isFinal));
    },
    sealFrameInto(sequence, plaintext, isFinal, target, offset) {
      const size = sealedFrameSize(plaintext, isFinal);
      if (!(target instanceof Uint8Array) || !Number.isSafeInteger(offset) || offset < 0 || offset + size > target.length) {
        throw new StrongroomError('INVALID_ARGUMENT', `sealFrameInto: frame ${String(sequence)} needs ${size} bytes at offset ${String(offset)} of a ${target instanceof Uint8Array ? `${target.length}-byte` : 'missing'} target`);
      }
      const { pieces, length } = order.claim(sequence, plaintext, isFinal);
      let at = offset;
      for (const piece of sealFrame(backend, key, header.messageId, sequence, pieces, length, isFinal)) {
        target.set(piece, at);
        at += piece.length;
      }
      return at - offset;
    },
    finish() {
      try {
        order.finish();
      } finally {
        key.fill(0);
      }
    },
    destroy,
  };
}
