/**
 * Checks of a caller's PutObject / upload input shared by both entries: user metadata may not use the
 * keys this client writes (the envelope mapkeys of s3-encryption/data-format/content-metadata.md and
 * Strongroom's markers), and checksums of the plaintext cannot be sent (S3 would compare them with the
 * ciphertext; https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html).
 */
import { StrongroomError } from '@strongroom/core';
import { FRAMED_FORMAT_METADATA } from './framed-format';
import * as K from './metadata-keys';
import { UPLOAD_METADATA } from './upload-marker-name';

/** Object metadata (without `x-amz-meta-`) naming the SHA-256 of its instruction file. */
export const INSTRUCTION_DIGEST_METADATA = 'x-strongroom-instruction-sha256';

/** Metadata keys this client writes itself (envelope mapkeys and markers). */
export function isReservedMetadata(key: string): boolean {
  const k = key.toLowerCase();
  return K.ALL_ENVELOPE_KEYS.has(k) || k === K.INSTRUCTION_FILE_MARKER || k === INSTRUCTION_DIGEST_METADATA || k === UPLOAD_METADATA || k === FRAMED_FORMAT_METADATA;
}

/** Reject caller metadata that would collide with envelope mapkeys. */
export function checkUserMetadata(metadata: Record<string, string> | undefined): void {
  for (const k of Object.keys(metadata ?? {})) {
    if (isReservedMetadata(k)) {
      throw new StrongroomError('INVALID_ARGUMENT', `Metadata: ${k} is reserved for the S3 Encryption Client envelope`);
    }
  }
}

/** Plaintext checksums would not match the ciphertext S3 receives. */
export function checkNoPlaintextChecksums(input: object): void {
  for (const k of ['ContentMD5', 'ChecksumCRC32', 'ChecksumCRC32C', 'ChecksumCRC64NVME', 'ChecksumSHA1', 'ChecksumSHA256']) {
    if ((input as Record<string, unknown>)[k] !== undefined) {
      throw new StrongroomError('INVALID_ARGUMENT', `${k}: checksums of the plaintext cannot be sent; use ChecksumAlgorithm to checksum the ciphertext`);
    }
  }
}
