/**
 * The layout of a framed multipart upload, shared by both entries (no Node import): every part
 * carries whole frames — part n holds frames (n − 1)·k + 1 … n·k of k = partSize / frameLength, the
 * first part prefixed by the header, the last part ending with the final frame — so each part is
 * sealed on its own and a ranged GET or download() finds frames where the layout says.
 * spec: AWS Encryption SDK specification data-format/message-body.md#framed-data; S3 UploadPart:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
 */
import { FINAL_FRAME_OVERHEAD, REGULAR_FRAME_OVERHEAD, StrongroomError } from '@strongroom/core';
import { frameCount } from './framed-format';

/** Default plaintext bytes per part: 8 MiB, rounded down to whole frames (at least one). */
export function defaultFramedPartSize(frameLength: number, target = 8 * 1024 * 1024): number {
  return Math.max(1, Math.floor(target / frameLength)) * frameLength;
}

/** INVALID_ARGUMENT unless `partSize` is a positive multiple of the frame length, at most 5 GiB. */
export function checkFramedPartSize(partSize: number, frameLength: number): void {
  if (!Number.isSafeInteger(partSize) || partSize < frameLength || partSize % frameLength !== 0 || partSize > 5 * 1024 ** 3) {
    throw new StrongroomError('INVALID_ARGUMENT', `partSize: framed objects need a multiple of the frame length (${frameLength} bytes), at most 5 GiB`);
  }
}

/** The frames of part `partNumber` holding `plaintextLength` bytes: first sequence number and count. */
export function partFrames(partNumber: number, plaintextLength: number, isLast: boolean, partSize: number, frameLength: number): { first: number; count: number } {
  if (plaintextLength > partSize || (!isLast && plaintextLength !== partSize)) {
    throw new StrongroomError('INVALID_ARGUMENT', `part ${partNumber}: ${plaintextLength} bytes; every part but the last holds exactly partSize (${partSize})`);
  }
  const perPart = partSize / frameLength;
  return { first: (partNumber - 1) * perPart + 1, count: isLast ? frameCount(plaintextLength, frameLength) : perPart };
}

/** Largest sealed part: header + partSize + each frame's overhead (the final frame's is larger). */
export function maxPartBytes(headerLength: number, partSize: number, frameLength: number): number {
  return headerLength + partSize + (partSize / frameLength) * REGULAR_FRAME_OVERHEAD + (FINAL_FRAME_OVERHEAD - REGULAR_FRAME_OVERHEAD);
}

/** Frame i (0-based) of a part: its plaintext slice and whether it is the message's final frame. */
export function frameOfPart(plaintext: Uint8Array, i: number, count: number, isLast: boolean, frameLength: number): { bytes: Uint8Array; final: boolean } {
  const final = isLast && i === count - 1;
  return { bytes: plaintext.subarray(i * frameLength, final ? plaintext.length : (i + 1) * frameLength), final };
}
