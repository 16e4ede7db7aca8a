/**
 * One GCM cipher across the parts of a multipart upload.
 * spec: s3-encryption/client.md#optional-api-operations (multipart: one CEK/IV per object, parts
 * encrypted in order with one cipher instance, tag appended to the last part); Java
 * `MultipartUploadObjectPipeline` (non-last parts a multiple of the 16-byte block size — a constraint
 * of Java's buffering cipher; node's GCM emits exactly one output byte per input byte, so the
 * ciphertext is the same whatever the part sizes; upload() still uses 16-byte multiples).
 */
import { StrongroomError } from '@strongroom/core';
import { createContentCipher, MAX_GCM_PLAINTEXT, type ContentParams } from './content-crypto';

export interface PartEncryptor {
  /** Encrypt the next part (in order). A last part gets the 16-byte tag appended. */
  encryptPart(plaintext: Uint8Array, isLast: boolean): Buffer;
  /**
   * Encrypt the next part into `target` (≥ plaintext length + 16 bytes), in small slices whose
   * short-lived outputs are copied out at once; returns the used view of `target`. Reusing
   * `target` across parts keeps multi-GiB uploads from churning a part-sized buffer per part.
   */
  encryptPartInto(plaintext: Uint8Array, isLast: boolean, target: Buffer): Buffer;
  /** Close the cipher without a flagged last part: returns just the tag (to send as a final part). */
  finishTagOnly(): Buffer;
  /** Plaintext bytes encrypted so far. */
  readonly plaintextBytes: number;
  readonly finished: boolean;
}

/** Slice size for `encryptPartInto`: large enough for full AES-GCM speed, small enough to die young. */
const SLICE = 256 * 1024;

export function createPartEncryptor(params: ContentParams): PartEncryptor {
  const cipher = createContentCipher(params);
  let bytes = 0;
  let finished = false;
  const check = () => {
    if (finished) throw new StrongroomError('INVALID_ARGUMENT', 'the encrypted multipart upload already received its last part');
  };
  return {
    encryptPart(plaintext, isLast) {
      check();
      bytes += plaintext.length;
      if (bytes > MAX_GCM_PLAINTEXT) throw new StrongroomError('LIMIT_EXCEEDED', 'object exceeds the AES-GCM limit of 2^36 - 32 bytes');
      const ct = cipher.update(plaintext);
      if (!isLast) return ct;
      finished = true;
      const fin = cipher.final();
      return Buffer.concat([ct, fin, cipher.getAuthTag()]);
    },
    encryptPartInto(plaintext, isLast, target) {
      check();
      if (target.length < plaintext.length + 16) throw new StrongroomError('INTERNAL', 'part buffer too small');
      bytes += plaintext.length;
      if (bytes > MAX_GCM_PLAINTEXT) throw new StrongroomError('LIMIT_EXCEEDED', 'object exceeds the AES-GCM limit of 2^36 - 32 bytes');
      let pos = 0;
      for (let off = 0; off < plaintext.length; off += SLICE) {
        const out = cipher.update(plaintext.subarray(off, Math.min(plaintext.length, off + SLICE)));
        pos += out.copy(target, pos);
      }
      if (isLast) {
        finished = true;
        pos += cipher.final().copy(target, pos);
        pos += cipher.getAuthTag().copy(target, pos);
      }
      return target.subarray(0, pos);
    },
    finishTagOnly() {
      check();
      finished = true;
      const fin = cipher.final();
      return Buffer.concat([fin, cipher.getAuthTag()]);
    },
    get plaintextBytes() {
      return bytes;
    },
    get finished() {
      return finished;
    },
  };
}
