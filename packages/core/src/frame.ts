/**
 * One frame of a message body: its layout (prefix, IV, AAD) and, for a synchronous backend, sealing
 * and opening it. This is the only place a frame is laid out or checked: the streaming writers and
 * readers of both entries (./frame-writer.ts, ./frame-reader.ts, driven by ./encoder.ts and
 * ./decoder.ts on Node and ./web-encoder.ts and ./web-decoder.ts over the async seam) and the
 * random-access framed API (./framed-seal.ts, ./framed-open.ts) all build and check frames here.
 * spec: data-format/message-body.md#framed-data, data-format/message-body-aad.md.
 *   regular frame   = u32 seq ‖ iv(12) ‖ ciphertext(frameLength) ‖ tag(16)
 *   final frame     = 0xFFFFFFFF ‖ u32 seq ‖ iv(12) ‖ u32 length ‖ ciphertext(length) ‖ tag(16)
 *   non-framed body = iv(12) ‖ u64 length ‖ ciphertext(length) ‖ tag(16)
 */
import type { CryptoBackend } from './backend';
import { type Allocate, bodyAad, FINAL_FRAME_MARKER, frameIv, MAX_FRAMES } from './body';
import { putU32 } from './bytes';
import { malformed, StrongroomError } from './errors';

/** Bytes a regular frame adds to its plaintext: sequence number, IV, tag. */
export const REGULAR_FRAME_OVERHEAD = 4 + 12 + 16;
/** Bytes the final frame adds to its plaintext: marker, sequence number, IV, length, tag. */
export const FINAL_FRAME_OVERHEAD = 4 + 4 + 12 + 4 + 16;

/** What sealing one frame (or the non-framed body) needs besides key and plaintext: write `prefix ‖ ciphertext ‖ tag`. */
export interface FrameSeal {
  readonly prefix: Uint8Array;
  readonly iv: Uint8Array;
  readonly aad: Uint8Array;
}

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

/** Prefix, IV and AAD of frame `sequence` holding `length` plaintext bytes. LIMIT_EXCEEDED outside 1 … 2^32 − 2. */
export function frameSeal(messageId: Uint8Array, sequence: number, length: number, final: boolean, allocate?: Allocate): FrameSeal {
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > MAX_FRAMES) {
    throw new StrongroomError('LIMIT_EXCEEDED', 'A message holds at most 2^32 - 2 frames; use a larger frameLength');
  }
  const iv = frameIv(sequence);
  const aad = bodyAad(messageId, final ? 'final' : 'frame', sequence, length, allocate);
  const prefix = new Uint8Array(final ? 24 : 16);
  if (final) {
    putU32(prefix, 0, FINAL_FRAME_MARKER);
    putU32(prefix, 4, sequence);
    prefix.set(iv, 8);
    putU32(prefix, 20, length);
  } else {
    putU32(prefix, 0, sequence);
    prefix.set(iv, 4);
  }
  return { prefix, iv, aad };
}

/** Prefix, IV and AAD of the single block of a non-framed body holding `length` plaintext bytes. */
export function singleBlockSeal(messageId: Uint8Array, length: number, allocate?: Allocate): FrameSeal {
  const iv = frameIv(1);
  const aad = bodyAad(messageId, 'single', 1, length, allocate);
  const prefix = new Uint8Array(20);
  prefix.set(iv);
  putU32(prefix, 12, Math.floor(length / 2 ** 32));
  putU32(prefix, 16, length >>> 0);
  return { prefix, iv, aad };
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

/** The body AAD a frame of this shape is authenticated under (message id, final or not, sequence number, length). */
export function frameAad(messageId: Uint8Array, shape: FrameShape, allocate?: Allocate): Uint8Array {
  return bodyAad(messageId, shape.final ? 'final' : 'frame', shape.sequence, shape.length, allocate);
}

/**
 * Seal one frame with a synchronous backend: returns `prefix ‖ ciphertext pieces ‖ tag` (the
 * plaintext pieces are not copied into one buffer). `length` is the total length of `plaintext`.
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
  return sealWith(backend, key, frameSeal(messageId, sequence, length, final), plaintext);
}

/** Seal `plaintext` as laid out by `seal` with a synchronous backend: `prefix ‖ ciphertext pieces ‖ tag`. */
export function sealWith(backend: CryptoBackend, key: Uint8Array, seal: FrameSeal, plaintext: readonly Uint8Array[]): Uint8Array[] {
  const { ciphertext, tag } = backend.gcmEncrypt(key, seal.iv, seal.aad, plaintext);
  return [seal.prefix, ...ciphertext, tag];
}

/**
 * Open one frame whose shape was read by {@link frameShape}: returns its plaintext only if the tag
 * verifies under {@link frameAad}; else throws AUTHENTICATION_FAILED.
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
  return backend.gcmDecrypt(key, prefix.subarray(shape.ivOffset, shape.ivOffset + 12), frameAad(messageId, shape), ciphertext, tag);
}
