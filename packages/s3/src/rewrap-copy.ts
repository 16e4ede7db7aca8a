/**
 * Copying an object onto itself with new user metadata, the body untouched: what a re-wrap uses to
 * write a new envelope. S3 allows a self-copy when the metadata is replaced
 * (`x-amz-metadata-directive: REPLACE`), and a REPLACE copy takes only the headers sent with it, so
 * the object's content headers, storage class and server-side encryption are sent again
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html). `CopySourceIfMatch` with the
 * ETag read first makes S3 refuse the copy (412 PreconditionFailed) when the object was overwritten
 * in between, so a concurrent write is never clobbered with the old body.
 *
 * CopyObject copies at most 5 GiB; larger objects are copied as a multipart upload of
 * `UploadPartCopy` ranges (https://docs.aws.amazon.com/AmazonS3/latest/userguide/CopyingObjectsMPUapi.html),
 * each with the same `CopySourceIfMatch`, aborted on any failure (nothing becomes visible), and marked
 * for `strongroom s3 cleanup` like every multipart upload this client starts.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StrongroomError } from '@strongroom/core';
import { dropUploadMarker, putUploadMarker, uploadMetadata } from './upload-marker';

/** Largest object a single CopyObject copies (S3's limit). */
export const MAX_COPY_OBJECT_BYTES = 5 * 1024 ** 3;
/** S3: at most 10,000 parts, each 5 MiB … 5 GiB. */
const MAX_PARTS = 10_000;
const MIN_PART = 5 * 1024 ** 2;
const DEFAULT_COPY_PART = 512 * 1024 ** 2;
const PARTS_IN_FLIGHT = 4;

/** The object as read before the copy. */
export interface CopySource {
  readonly bucket: string;
  readonly key: string;
  readonly head: HeadObjectCommandOutput;
}

export interface SelfCopyOptions {
  readonly abortSignal?: AbortSignal | undefined;
  /** Objects larger than this are copied in parts (default and maximum: 5 GiB). */
  readonly multipartThreshold?: number;
  /** Size of the copied parts (default 512 MiB, raised to fit 10,000 parts). */
  readonly partSize?: number;
}

/** The headers a REPLACE copy must send again to keep the object as it was. */
export function keptHeaders(head: HeadObjectCommandOutput) {
  const h = head;
  return {
    ...(h.ContentType !== undefined ? { ContentType: h.ContentType } : {}),
    ...(h.ContentEncoding !== undefined ? { ContentEncoding: h.ContentEncoding } : {}),
    ...(h.ContentDisposition !== undefined ? { ContentDisposition: h.ContentDisposition } : {}),
    ...(h.ContentLanguage !== undefined ? { ContentLanguage: h.ContentLanguage } : {}),
    ...(h.CacheControl !== undefined ? { CacheControl: h.CacheControl } : {}),
    ...(h.Expires !== undefined ? { Expires: h.Expires } : {}),
    ...(h.WebsiteRedirectLocation !== undefined ? { WebsiteRedirectLocation: h.WebsiteRedirectLocation } : {}),
    // HEAD omits the storage class for STANDARD; a copy without it would move others to STANDARD.
    ...(h.StorageClass !== undefined ? { StorageClass: h.StorageClass } : {}),
    ...(h.ServerSideEncryption !== undefined && h.ServerSideEncryption !== 'AES256' ? { ServerSideEncryption: h.ServerSideEncryption } : {}),
    ...(h.SSEKMSKeyId !== undefined ? { SSEKMSKeyId: h.SSEKMSKeyId } : {}),
    ...(h.BucketKeyEnabled !== undefined ? { BucketKeyEnabled: h.BucketKeyEnabled } : {}),
  };
}

export function etagOf(head: HeadObjectCommandOutput): string {
  if (!head.ETag) throw new StrongroomError('UNSUPPORTED', 'the S3 server returned no ETag, so the object cannot be copied safely (CopySourceIfMatch)');
  return head.ETag;
}

const copySource = (bucket: string, key: string) => `${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;

/**
 * Copy the object onto itself with `metadata` as its whole user metadata.
 * @returns the ETag of the new object.
 * @throws S3 errors unchanged (412 PreconditionFailed when the object changed since `source.head`).
 */
export async function selfCopy(client: S3Client, source: CopySource, metadata: Record<string, string>, o: SelfCopyOptions = {}): Promise<string | undefined> {
  const size = source.head.ContentLength ?? 0;
  const threshold = Math.min(o.multipartThreshold ?? MAX_COPY_OBJECT_BYTES, MAX_COPY_OBJECT_BYTES);
  const send = o.abortSignal ? { abortSignal: o.abortSignal } : {};
  const etag = etagOf(source.head);
  if (size <= threshold) {
    const out = await client.send(
      new CopyObjectCommand({
        Bucket: source.bucket,
        Key: source.key,
        CopySource: copySource(source.bucket, source.key),
        CopySourceIfMatch: etag,
        MetadataDirective: 'REPLACE',
        Metadata: metadata,
        ...keptHeaders(source.head),
      }),
      send,
    );
    return out.CopyObjectResult?.ETag;
  }
  return multipartSelfCopy(client, source, metadata, { copyFrom: 0 }, o);
}

/** Part size for `size` bytes: the requested (or default) size, raised so at most 10,000 parts are needed. */
export function copyPartSize(size: number, requested = DEFAULT_COPY_PART): number {
  return Math.max(requested, MIN_PART, Math.ceil(size / MAX_PARTS));
}

/**
 * What the multipart self-copy writes: `firstPart` (uploaded as part 1, at least 5 MiB unless it is
 * all there is) followed by the source's bytes from `copyFrom` to the end, copied server-side.
 */
export interface SelfCopyPlan {
  readonly firstPart?: Uint8Array;
  readonly copyFrom: number;
}

/**
 * The object rewritten onto itself as a multipart upload: `plan.firstPart`, then `UploadPartCopy`
 * ranges of the source from `plan.copyFrom`, every one conditional on the ETag read. Aborted on any
 * failure. Returns the new ETag.
 */
export async function multipartSelfCopy(
  client: S3Client,
  source: CopySource,
  metadata: Record<string, string>,
  plan: SelfCopyPlan,
  o: SelfCopyOptions,
): Promise<string | undefined> {
  const etag = etagOf(source.head);
  const size = source.head.ContentLength ?? 0;
  const send = o.abortSignal ? { abortSignal: o.abortSignal } : {};
  const { bucket, key } = source;
  const created = await client.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, Metadata: { ...metadata, ...uploadMetadata() }, ...keptHeaders(source.head) }),
    send,
  );
  const uploadId = created.UploadId;
  if (!uploadId) throw new StrongroomError('MALFORMED', 'CreateMultipartUpload returned no UploadId');
  try {
    await putUploadMarker(client, bucket, key, uploadId, o.abortSignal);
    const first = plan.firstPart ? 1 : 0;
    const firstDone =
      plan.firstPart &&
      (await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 1, Body: plan.firstPart, ContentLength: plan.firstPart.length }), send));
    const partSize = copyPartSize(size - plan.copyFrom, o.partSize);
    const count = Math.ceil((size - plan.copyFrom) / partSize);
    const parts: CompletedPart[] = new Array(count + first);
    if (firstDone) parts[0] = { PartNumber: 1, ETag: firstDone.ETag };
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const start = plan.copyFrom + i * partSize;
        const end = Math.min(size, start + partSize) - 1;
        const out = await client.send(
          new UploadPartCopyCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            PartNumber: first + i + 1,
            CopySource: copySource(bucket, key),
            CopySourceRange: `bytes=${start}-${end}`,
            CopySourceIfMatch: etag,
          }),
          send,
        );
        parts[first + i] = { PartNumber: first + i + 1, ETag: out.CopyPartResult?.ETag };
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARTS_IN_FLIGHT, count) }, worker));
    const done = await client.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      send,
    );
    await dropUploadMarker(client, bucket, key, uploadId);
    return done.ETag;
  } catch (error) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => {});
    await dropUploadMarker(client, bucket, key, uploadId);
    throw error;
  }
}
