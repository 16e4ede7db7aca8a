/**
 * Ranged GET of GCM-encrypted objects by decrypting with AES-CTR (no authentication).
 * spec: s3-encryption/decryption.md#ranged-gets; Java `RangedGetUtils`, `AesCtrUtils`.
 *
 * GCM's keystream for ciphertext block i is AES(IV ‖ (2 + i)), so any 16-byte-aligned range can be
 * decrypted without the rest of the object. The tag is never checked, which is why this is gated
 * behind `legacy.unauthenticatedModes` as in the Java client.
 */
import { StrongroomError } from '@strongroom/core';
import type { Decipher } from 'node:crypto';
import { TAG_LENGTH } from './content-crypto';
import { destroyBody } from './body';

/** A requested plaintext range: `bytes=start-end` or `bytes=start-` (end inclusive). */
export interface PlainRange {
  readonly start: number;
  readonly end: number | undefined;
}

const RANGE = /^bytes=(\d{1,16})-(\d{0,16})$/;
const SUFFIX = /^bytes=-(\d{1,16})$/;

/** Parse the Range header value; suffix ranges need the plaintext length. */
export function parseRange(range: string, plaintextLength?: number): PlainRange {
  const suffix = SUFFIX.exec(range);
  if (suffix) {
    if (plaintextLength === undefined) throw new StrongroomError('INTERNAL', 'suffix range needs the object length');
    const n = Number(suffix[1]);
    if (n === 0) throw notSatisfiable(range);
    return { start: Math.max(0, plaintextLength - n), end: plaintextLength - 1 };
  }
  const m = RANGE.exec(range);
  if (!m) throw new StrongroomError('INVALID_ARGUMENT', 'Range: only a single "bytes=start-end", "bytes=start-" or "bytes=-n" range is supported');
  const start = Number(m[1]);
  const end = m[2] === '' ? undefined : Number(m[2]);
  if (end !== undefined && end < start) throw new StrongroomError('INVALID_ARGUMENT', 'Range: end before start');
  return { start, end };
}

export function isSuffixRange(range: string): boolean {
  return SUFFIX.test(range);
}

export function notSatisfiable(range: string): StrongroomError {
  return new StrongroomError('INVALID_ARGUMENT', `Range not satisfiable: ${range}`, { details: { status: 416 } });
}

/** The ciphertext range to fetch: from the block holding `start` to `end` (CTR needs no more). */
export function ciphertextRangeFor(r: PlainRange): string {
  const from = r.start - (r.start % 16);
  return `bytes=${from}-${r.end ?? ''}`;
}

/** Parse `Content-Range: bytes a-b/total`. */
export function parseContentRange(v: string | undefined): { start: number; end: number; total: number } {
  const m = v ? /^bytes (\d{1,16})-(\d{1,16})\/(\d{1,16})$/.exec(v) : null;
  if (!m) throw new StrongroomError('MALFORMED', 'ranged GET response has no usable Content-Range');
  return { start: Number(m[1]), end: Number(m[2]), total: Number(m[3]) };
}

/**
 * Decrypt the fetched ciphertext (starting at block-aligned `fetchStart`) and yield exactly the
 * plaintext bytes [start, end]. Extra bytes a server sends beyond `end` are ignored.
 */
export async function* decryptRange(
  source: AsyncIterable<Uint8Array>,
  ctr: Decipher,
  fetchStart: number,
  start: number,
  end: number,
): AsyncGenerator<Buffer> {
  let skip = start - fetchStart;
  let remaining = end - start + 1;
  try {
    for await (const chunk of source) {
      if (remaining <= 0) break;
      let out = ctr.update(chunk);
      if (skip) {
        const s = Math.min(skip, out.length);
        out = out.subarray(s);
        skip -= s;
      }
      if (out.length > remaining) out = out.subarray(0, remaining);
      remaining -= out.length;
      if (out.length) yield out;
    }
    if (remaining > 0) throw new StrongroomError('MALFORMED', 'ranged GET response ended early');
  } finally {
    destroyBody(source);
  }
}

/** Plaintext length of a GCM object of `ciphertextLength` bytes. */
export function gcmPlaintextLength(ciphertextLength: number): number {
  if (ciphertextLength < TAG_LENGTH) throw new StrongroomError('MALFORMED', 'S3EC object is shorter than its 16-byte tag');
  return ciphertextLength - TAG_LENGTH;
}
