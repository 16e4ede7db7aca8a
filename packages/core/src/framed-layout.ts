/**
 * Where the frames of a framed message lie, from its header length, frame length and total length;
 * and which frames (which ciphertext bytes) cover a plaintext byte range. Pure arithmetic: nothing
 * here is authenticated — every byte it points at is verified when the frame is opened.
 * spec: data-format/message-body.md#framed-data (regular frames carry exactly the frame length; the
 * final frame carries 0 … frame length bytes; sequence numbers run 1, 2, … without gaps).
 *
 *   ciphertext length = header length + n × (frameLength + 32) + (f + 40),   0 ≤ f ≤ frameLength
 *
 * Since f + 40 < frameLength + 72, n and f follow uniquely from the total length.
 */
import { MAX_FRAMES } from './body';
import { malformed, StrongroomError } from './errors';
import { FINAL_FRAME_OVERHEAD, REGULAR_FRAME_OVERHEAD } from './frame';
import type { MessageHeader } from './header';
import type { EncryptionContext } from './key-provider';

/** The frames of a framed message of a given total length. */
export interface FramedLayout {
  readonly headerLength: number;
  readonly frameLength: number;
  readonly ciphertextLength: number;
  /** Regular frames (sequence numbers 1 … n); the final frame is number n + 1. */
  readonly regularFrames: number;
  readonly finalFrameLength: number;
  readonly plaintextLength: number;
}

/**
 * What an opened framed message is on every entry (`FramedMessage` on Node, `WebFramedMessage` on the
 * web entry, each adding how its frames are opened): the authenticated header and where the frames lie.
 */
export interface FramedMessageBase {
  readonly header: MessageHeader;
  /** Bytes of the serialized header (where frame 1 starts). */
  readonly headerLength: number;
  readonly frameLength: number;
  /** The authenticated encryption context: stored pairs plus the reproduced required pairs. */
  readonly encryptionContext: EncryptionContext;
  /** Where the frames lie in a message of `ciphertextLength` bytes (MALFORMED if no such message). */
  layout(ciphertextLength: number): FramedLayout;
  /** The frames and ciphertext bytes covering plaintext `start` … `endInclusive`. */
  framesFor(start: number, endInclusive: number, ciphertextLength: number): FrameSpan;
  /** Wipe the content key. */
  destroy(): void;
}

/** The frames covering a plaintext range, and the ciphertext bytes that hold them. */
export interface FrameSpan {
  /** The plaintext range, inclusive. */
  readonly start: number;
  readonly end: number;
  readonly firstSequence: number;
  readonly lastSequence: number;
  /** Whether the last frame of the span is the message's final frame. */
  readonly lastIsFinal: boolean;
  /** Ciphertext byte offsets of the span, inclusive (as in an HTTP Range). */
  readonly byteStart: number;
  readonly byteEnd: number;
  /** Plaintext bytes of the first frame before `start`. */
  readonly skip: number;
}

/** Ciphertext offset of frame `sequence` (1-based). */
export function frameOffset(layout: Pick<FramedLayout, 'headerLength' | 'frameLength'>, sequence: number): number {
  return layout.headerLength + (sequence - 1) * (layout.frameLength + REGULAR_FRAME_OVERHEAD);
}

/**
 * The layout of a framed message of `ciphertextLength` bytes. Throws MALFORMED when no sequence of
 * whole frames has that length (a truncated or extended message).
 */
export function framedLayout(headerLength: number, frameLength: number, ciphertextLength: number): FramedLayout {
  for (const [name, v] of [['headerLength', headerLength], ['frameLength', frameLength], ['ciphertextLength', ciphertextLength]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new StrongroomError('INVALID_ARGUMENT', `${name}: expected a non-negative integer, got ${String(v)}`);
  }
  if (frameLength === 0) throw new StrongroomError('INVALID_ARGUMENT', 'frameLength: a framed message has a frame length above 0');
  const body = ciphertextLength - headerLength - FINAL_FRAME_OVERHEAD;
  if (body < 0) throw malformed(`A framed message of ${ciphertextLength} bytes is too short for its ${headerLength}-byte header and final frame`);
  const regularFrames = Math.floor(body / (frameLength + REGULAR_FRAME_OVERHEAD));
  const finalFrameLength = body - regularFrames * (frameLength + REGULAR_FRAME_OVERHEAD);
  if (finalFrameLength > frameLength || regularFrames + 1 > MAX_FRAMES) {
    throw malformed(`${ciphertextLength} bytes is not the length of a framed message with ${frameLength}-byte frames: the object is truncated or extended`);
  }
  return { headerLength, frameLength, ciphertextLength, regularFrames, finalFrameLength, plaintextLength: regularFrames * frameLength + finalFrameLength };
}

/**
 * The frames holding plaintext bytes `start` … `end` (inclusive). Throws INVALID_ARGUMENT with
 * `details.status` 416 unless 0 ≤ start ≤ end < plaintext length.
 */
export function framesFor(layout: FramedLayout, start: number, end: number): FrameSpan {
  const { frameLength, regularFrames, plaintextLength, ciphertextLength } = layout;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start || end >= plaintextLength) {
    throw new StrongroomError('INVALID_ARGUMENT', `The range ${start}-${end} is not inside the ${plaintextLength}-byte plaintext`, {
      details: { status: 416, plaintextLength },
    });
  }
  const firstSequence = Math.floor(start / frameLength) + 1;
  const lastSequence = Math.floor(end / frameLength) + 1;
  const lastIsFinal = lastSequence === regularFrames + 1;
  return {
    start,
    end,
    firstSequence,
    lastSequence,
    lastIsFinal,
    byteStart: frameOffset(layout, firstSequence),
    byteEnd: lastIsFinal ? ciphertextLength - 1 : frameOffset(layout, lastSequence + 1) - 1,
    skip: start - (firstSequence - 1) * frameLength,
  };
}
