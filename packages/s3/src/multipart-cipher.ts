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
  /** Close the cipher without a flagged last part: returns just the tag (to send as a final part). */
  finishTagOnly(): Buffer;
  /** Plaintext bytes encrypted so far. */
  readonly plaintextBytes: number;
  readonly finished: boolean;
}

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
