/**
 * Message body layout: frame framing and the body AAD.
 * spec: data-format/message-body.md and data-format/message-body-aad.md.
 *   regular frame = u32 seq ‖ iv(12) ‖ ciphertext(frameLength) ‖ tag(16)
 *   final frame   = 0xFFFFFFFF ‖ u32 seq ‖ iv(12) ‖ u32 length ‖ ciphertext(length) ‖ tag(16)
 *   non-framed    = iv(12) ‖ u64 length ‖ ciphertext(length) ‖ tag(16)
 *   AAD           = message id ‖ label ‖ u32 seq ‖ u64 plaintext length
 */
import { putU32, utf8 } from './bytes';

export const FINAL_FRAME_MARKER = 0xffffffff;
/** Sequence numbers run 1 … 2^32 − 2; 0xFFFFFFFF marks the final frame. */
export const MAX_FRAMES = 0xfffffffe;
/** spec: message-body.md#non-framed-data — at most 2^36 − 32 bytes of content. */
export const MAX_NON_FRAMED_LENGTH = 2 ** 36 - 32;

export type BodyLabel = 'frame' | 'final' | 'single';
const LABELS: Record<BodyLabel, Uint8Array> = {
  frame: utf8('AWSKMSEncryptionClient Frame'),
  final: utf8('AWSKMSEncryptionClient Final Frame'),
  single: utf8('AWSKMSEncryptionClient Single Block'),
};

/** Where a frame's AAD is written: fresh bytes by default (see CryptoBackend.transientBytes). */
export type Allocate = (length: number) => Uint8Array;
export const freshBytes: Allocate = (length) => new Uint8Array(length);

export function bodyAad(messageId: Uint8Array, label: BodyLabel, sequence: number, length: number, allocate: Allocate = freshBytes): Uint8Array {
  const l = LABELS[label];
  const aad = allocate(messageId.length + l.length + 12); // every byte is written below
  aad.set(messageId);
  aad.set(l, messageId.length);
  let at = putU32(aad, messageId.length + l.length, sequence);
  at = putU32(aad, at, Math.floor(length / 2 ** 32));
  putU32(aad, at, length >>> 0);
  return aad;
}

/** The frame IV as the AWS Encryption SDKs write it: 8 zero bytes ‖ u32 sequence number. */
export function frameIv(sequence: number): Uint8Array {
  const iv = new Uint8Array(12);
  putU32(iv, 8, sequence);
  return iv;
}
