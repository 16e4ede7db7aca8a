/**
 * `strongroom s3 cp s3://bucket/key FILE|-`: download and decrypt one object.
 *
 * Framed objects come through EncryptedS3Client.download(): concurrent ranged GETs, each frame
 * verified before release, so any target (a file or a pipe) gets only authenticated bytes.
 *
 * For V2/V3 objects a file target is authenticated at file level, at any object size: the plaintext streams (the S3
 * Encryption Client's delayed authentication) into a private partial file in the target's directory
 * (../private-file.ts: unnamed, or exclusive 0600 under an unpredictable name), and the file gets the
 * target name only after the AES-GCM tag at the end of the object verified. A bad tag, a truncated
 * body or any other failure removes the partial file, and a file already at the target name is left
 * as it was. Memory stays bounded by the stream buffers, whatever the object size.
 *
 * A stream target (stdout `-`, a FIFO or a device) cannot take plaintext back, so it gets the
 * buffered (authenticated-before-release) read, limited to the client's `bufferSize`.
 *
 * References: the S3 Encryption Client's "Enable Delayed Authentication" and "Set Buffer Size"
 * options (https://docs.aws.amazon.com/amazon-s3-encryption-client/latest/developerguide/features.html),
 * AES-GCM (NIST SP 800-38D: the tag covers the whole ciphertext), rename(2).
 */
import { statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { EncryptionContext } from '@strongroom/core';
import type { EncryptedS3Client } from '@strongroom/s3';
import { pipeline } from 'node:stream/promises';
import { openPrivateOutput } from '../private-file';
import { createProgress, progressTap } from '../progress';
import { pipeToOutput } from './crypt';

/** A destination that is written as a stream (no partial file can be held back): `-`, a FIFO, a device, a socket. */
export function isStreamTarget(destination: string): boolean {
  if (destination === '-') return true;
  const st = statSync(destination, { throwIfNoEntry: false });
  return st !== undefined && !st.isFile() && !st.isDirectory();
}

export interface S3DownloadParams {
  bucket: string;
  key: string;
  destination: string;
  encryptionContext: EncryptionContext;
  signal: AbortSignal;
  /** Ranged GETs in flight for a framed object (EncryptedS3Client.download()). */
  concurrency: number;
  /** Plaintext bytes per ranged GET of a framed object. */
  partSize?: number;
  /** Releases plaintext only after the tag verified (bounded by its bufferSize). */
  buffered: EncryptedS3Client;
  /** Streams plaintext before the tag verified (delayed authentication): only into a private file. */
  streaming: EncryptedS3Client;
}

/**
 * Download `s3://bucket/key` into `destination` (see the module comment for what a failure leaves).
 * @throws StrongroomError from the client (AUTHENTICATION_FAILED, MALFORMED, LIMIT_EXCEEDED for a
 *   stream target larger than bufferSize, …), IO_ERROR from the output file; S3 errors unchanged.
 */
export async function downloadObject(p: S3DownloadParams): Promise<void> {
  const get = async (s3: EncryptedS3Client) => {
    const out = await s3.download({
      Bucket: p.bucket,
      Key: p.key,
      encryptionContext: p.encryptionContext,
      abortSignal: p.signal,
      concurrency: p.concurrency,
      ...(p.partSize ? { partSize: p.partSize } : {}),
    });
    return out;
  };
  const label = `download s3://${p.bucket}/${p.key}`;
  if (isStreamTarget(p.destination)) {
    const out = await get(p.buffered);
    await pipeToOutput(out.Body as Readable, undefined, p.destination, createProgress(label, out.ContentLength), p.signal);
    return;
  }
  // Opened as a private file whatever appears at the name meanwhile (a FIFO created there after the
  // check above is replaced by the rename, never written to).
  const out = await get(p.streaming);
  const body = out.Body as Readable;
  const progress = createProgress(label, out.ContentLength);
  try {
    const file = openPrivateOutput(p.destination);
    try {
      await pipeline(body, progressTap(progress), file.stream, { signal: p.signal });
      await file.commit(); // only now, after the stream ended with a verified tag, does the name exist
    } catch (error) {
      await file.discard();
      throw error;
    }
  } catch (error) {
    body.destroy();
    throw error;
  } finally {
    progress.stop();
  }
}
