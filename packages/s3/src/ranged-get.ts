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
import type { PlainRange } from './range-header';

/** The ciphertext range to fetch: from the block holding `start` to `end` (CTR needs no more). */
export function ciphertextRangeFor(r: PlainRange): string {
  const from = r.start - (r.start % 16);
  return `bytes=${from}-${r.end ?? ''}`;
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
