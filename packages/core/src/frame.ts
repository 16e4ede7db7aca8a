/**
 * One frame of a framed message body: sealing it, reading its prefix, opening it. The streaming
 * encoder and decoder and the random-access framed API (./framed-seal.ts, ./framed-open.ts) all use
 * these, so a frame is built and checked in exactly one place.
 * spec: data-format/message-body.md#framed-data, data-format/message-body-aad.md.
 *   regular frame = u32 seq ‖ iv(12) ‖ ciphertext(frameLength) ‖ tag(16)
 *   final frame   = 0xFFFFFFFF ‖ u32 seq ‖ iv(12) ‖ u32 length ‖ ciphertext(length) ‖ tag(16)
 */
import type { CryptoBackend } from './backend';
import { bodyAad, FINAL_FRAME_MARKER, frameIv, MAX_FRAMES } from './body';
import { malformed, StrongroomError } from './errors';

/** Bytes a regular frame adds to its plaintext: sequence number, IV, tag. */
export const REGULAR_FRAME_OVERHEAD = 4 + 12 + 16;
/** Bytes the final frame adds to its plaintext: marker, sequence number, IV, length, tag. */
export const FINAL_FRAME_OVERHEAD = 4 + 4 + 12 + 4 + 16;

/** What a frame's prefix says about it, checked against what the reader expects. */
export interface FrameShape {
  readonly final: boolean;
  readonly sequence: number;
  /** Plaintext (= ciphertext) length of this frame. */
  readonly length: number;
  readonly prefixLength: number;
  /** Offset of the 12-byte IV inside the prefix. */
  readonly ivOffset: number;
  /** prefix ‖ ciphertext ‖ tag. */
  readonly total: number;
}

/**
 * Read a frame prefix through `u32At` (offsets relative to the frame start, `available` bytes
 * readable). Undefined when the prefix is not complete yet. Throws MALFORMED when the sequence
 * number is not `expectedSequence` or the final frame claims more than `frameLength` bytes.
 */
export function frameShape(u32At: (offset: number) => number, available: number, frameLength: number, expectedSequence: number): FrameShape | undefined {
  if (available < 4) return undefined;
  const final = u32At(0) === FINAL_FRAME_MARKER;
  const prefixLength = final ? 24 : 16;
  if (available < prefixLength) return undefined;
  const sequence = u32At(final ? 4 : 0);
  if (sequence !== expectedSequence) throw malformed(`Frame sequence number ${sequence} is out of order (expected ${expectedSequence})`);
  const length = final ? u32At(20) : frameLength;
  if (length > frameLength) throw malformed(`The final frame's length ${length} exceeds the frame length ${frameLength}`);
  return { final, sequence, length, prefixLength, ivOffset: final ? 8 : 4, total: prefixLength + length + 16 };
}

/**
 * Seal one frame: returns `prefix ‖ ciphertext pieces ‖ tag` (the plaintext pieces are not copied
 * into one buffer). `length` is the total length of `plaintext`.
 */
export function sealFrame(
  backend: CryptoBackend,
  key: Uint8Array,
  messageId: Uint8Array,
  sequence: number,
  plaintext: readonly Uint8Array[],
  length: number,
  final: boolean,
): Uint8Array[] {
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > MAX_FRAMES) {
    throw new StrongroomError('LIMIT_EXCEEDED', 'A message holds at most 2^32 - 2 frames; use a larger frameLength');
  }
  const iv = frameIv(sequence);
  const aad = bodyAad(messageId, final ? 'final' : 'frame', sequence, length);
  const { ciphertext, tag } = backend.gcmEncrypt(key, iv, aad, plaintext);
  const prefix = new Uint8Array(final ? 24 : 16);
  const view = new DataView(prefix.buffer);
  if (final) {
    view.setUint32(0, FINAL_FRAME_MARKER);
    view.setUint32(4, sequence);
    prefix.set(iv, 8);
    view.setUint32(20, length);
  } else {
    view.setUint32(0, sequence);
    prefix.set(iv, 4);
  }
  return [prefix, ...ciphertext, tag];
}

/**
 * Open one frame whose shape was read by {@link frameShape}: returns its plaintext only if the tag
 * verifies under the body AAD of (message id, final or not, sequence number, length); else throws
 * AUTHENTICATION_FAILED.
 */
export function openFrame(
  backend: CryptoBackend,
  key: Uint8Array,
  messageId: Uint8Array,
  shape: FrameShape,
  prefix: Uint8Array,
  ciphertext: readonly Uint8Array[],
  tag: Uint8Array,
): Uint8Array[] {
  const aad = bodyAad(messageId, shape.final ? 'final' : 'frame', shape.sequence, shape.length);
  return backend.gcmDecrypt(key, prefix.subarray(shape.ivOffset, shape.ivOffset + 12), aad, ciphertext, tag);
}
