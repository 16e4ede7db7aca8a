/**
 * copyObject: copy an encrypted object by decrypting it and encrypting it again for its
 * destination (in bounded memory, through upload()). A framed object is bound to its bucket and
 * key, so a server-side CopyObject yields an object that refuses to decrypt at the new key; this
 * is the way to move one (relocation without re-encryption needs bindLocation: false).
 * S3 CopyObject for comparison: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html
 */
import type { CompleteMultipartUploadCommandOutput } from '@aws-sdk/client-s3';
import type { EncryptionContext } from '@strongroom/core';
import { getObject, isReservedMetadata } from './object-ops';
import type { ResolvedConfig } from './options';
import { EncryptedUpload, type UploadParams } from './upload';

/** Input of `copyObject()`: the destination as for `upload()` (without Body), and the source. */
export interface CopyObjectParams extends Omit<UploadParams, 'Body' | 'ContentLength'> {
  readonly SourceBucket: string;
  readonly SourceKey: string;
  readonly SourceVersionId?: string;
  /** Encryption context the source was written with (default: the destination's `encryptionContext`). */
  readonly sourceEncryptionContext?: EncryptionContext;
}

/**
 * Read the source (verified as every GetObject), write it to the destination in this client's
 * format. Without `Metadata`, the source's user metadata and ContentType are copied (as S3's default
 * MetadataDirective COPY does). Nothing becomes visible at the destination unless the whole source
 * verified.
 */
export async function copyObject(cfg: ResolvedConfig, params: CopyObjectParams): Promise<CompleteMultipartUploadCommandOutput> {
  const { SourceBucket, SourceKey, SourceVersionId, sourceEncryptionContext, ...destination } = params;
  const source = await getObject(
    cfg,
    { Bucket: SourceBucket, Key: SourceKey, VersionId: SourceVersionId },
    { abortSignal: params.abortSignal, encryptionContext: sourceEncryptionContext ?? params.encryptionContext },
  );
  const metadata = params.Metadata ?? Object.fromEntries(Object.entries(source.Metadata ?? {}).filter(([k]) => !isReservedMetadata(k)));
  const upload = new EncryptedUpload(cfg, {
    ...destination,
    ContentType: params.ContentType ?? source.ContentType,
    Metadata: metadata,
    Body: source.Body as UploadParams['Body'],
    ContentLength: source.ContentLength,
  });
  return upload.done();
}
