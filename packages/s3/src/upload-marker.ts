/**
 * Dangling multipart uploads: a process killed mid-upload leaves its parts on S3, billed until the
 * upload is aborted. S3 lists uploads in progress (ListMultipartUploads:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListMultipartUploads.html) but not their
 * metadata, so the uploads this client starts are recognisable in two ways: their metadata
 * (`x-amz-meta-x-strongroom-upload`, visible on the completed object) and a small marker object
 * `<key>.strongroom-upload.<id>` (id = first 16 hex digits of SHA-256 of the UploadId) written right
 * after CreateMultipartUpload and deleted when the upload completes or is aborted. `cleanupUploads`
 * aborts the stale uploads that have a marker and leaves every other upload alone.
 */
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StrongroomError } from '@strongroom/core';
import { markerBody, markerKeyFromDigest, UPLOAD_MARKER_INFIX, UPLOAD_METADATA } from './upload-marker-name';

export { UPLOAD_METADATA, UPLOAD_MARKER_INFIX, uploadMetadata } from './upload-marker-name';

const statusOf = (e: unknown) => (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** The key of the marker object that records a multipart upload this client started. */
export function uploadMarkerKey(key: string | undefined, uploadId: string): string {
  return markerKeyFromDigest(key, createHash('sha256').update(uploadId).digest('hex'));
}

/** Written right after CreateMultipartUpload. */
export async function putUploadMarker(client: S3Client, bucket: string | undefined, key: string | undefined, uploadId: string, abortSignal?: AbortSignal): Promise<void> {
  await client.send(
    new PutObjectCommand({ Bucket: bucket, Key: uploadMarkerKey(key, uploadId), Body: markerBody(key, uploadId), ContentType: 'application/json' }),
    abortSignal ? { abortSignal } : {},
  );
}

/** Best effort, after the upload completed or was aborted. */
export async function dropUploadMarker(client: S3Client, bucket: string | undefined, key: string | undefined, uploadId: string): Promise<void> {
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: uploadMarkerKey(key, uploadId) })).catch(() => {});
}

/** A multipart upload this client started and never completed: key, upload id, start time. */
export interface DanglingUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly initiated: Date | undefined;
}

/** Options of `cleanupUploads`: bucket, prefix, minimum age, dry run. */
export interface CleanupOptions {
  readonly bucket: string;
  readonly prefix?: string;
  /** Only uploads started at least this long ago (ms). Default 24 h. */
  readonly olderThanMs?: number;
  /** List what would be aborted, abort nothing. */
  readonly dryRun?: boolean;
  readonly now?: Date;
  readonly abortSignal?: AbortSignal;
}

/** What `cleanupUploads` found and aborted. */
export interface CleanupResult {
  /** Stale uploads this client started: aborted (or, with dryRun, to be aborted). */
  readonly stale: DanglingUpload[];
  /** Uploads in progress that are recent, or not started by this client (left alone). */
  readonly skipped: number;
  /** Marker objects of uploads no longer in progress (deleted unless dryRun). */
  readonly orphanMarkers: string[];
}

/**
 * List, and unless `dryRun` abort, the stale multipart uploads this client started under `prefix`.
 * @throws StrongroomError UNSUPPORTED when the server cannot list multipart uploads (s3rver).
 */
export async function cleanupUploads(client: S3Client, o: CleanupOptions): Promise<CleanupResult> {
  const signal = o.abortSignal ? { abortSignal: o.abortSignal } : {};
  const cutoff = (o.now ?? new Date()).getTime() - (o.olderThanMs ?? 24 * 3600_000);
  const uploads: DanglingUpload[] = [];
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    let page;
    try {
      page = await client.send(new ListMultipartUploadsCommand({ Bucket: o.bucket, Prefix: o.prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }), signal);
    } catch (error) {
      const s = statusOf(error);
      if (s === 405 || s === 501 || (error as { name?: string }).name === 'MethodNotAllowed' || (error as { name?: string }).name === 'NotImplemented') {
        throw new StrongroomError('UNSUPPORTED', 'this S3 server cannot list multipart uploads (s3rver cannot); run cleanup against S3 or Ceph RGW, and set the bucket lifecycle rule in docs/s3.md', { cause: error });
      }
      throw error;
    }
    for (const u of page.Uploads ?? []) if (u.Key && u.UploadId) uploads.push({ key: u.Key, uploadId: u.UploadId, initiated: u.Initiated });
    if (!page.IsTruncated) break;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
    if (!keyMarker) break;
  }
  const stale: DanglingUpload[] = [];
  let skipped = 0;
  for (const u of uploads) {
    if (u.initiated === undefined || u.initiated.getTime() > cutoff) {
      skipped++;
      continue;
    }
    const ours = await client.send(new HeadObjectCommand({ Bucket: o.bucket, Key: uploadMarkerKey(u.key, u.uploadId) }), signal).then(
      () => true,
      (e: unknown) => {
        if (statusOf(e) === 404) return false;
        throw e;
      },
    );
    if (!ours) {
      skipped++;
      continue;
    }
    stale.push(u);
    if (!o.dryRun) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: o.bucket, Key: u.key, UploadId: u.uploadId }), signal);
      await dropUploadMarker(client, o.bucket, u.key, u.uploadId);
    }
  }
  // Markers whose upload is gone (a process killed between completing and deleting its marker).
  const live = new Set(uploads.map((u) => uploadMarkerKey(u.key, u.uploadId)));
  const orphanMarkers: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: o.bucket, Prefix: o.prefix, ContinuationToken: token }), signal);
    for (const obj of page.Contents ?? []) {
      const old = obj.LastModified !== undefined && obj.LastModified.getTime() <= cutoff; // a newer one may belong to an upload just started
      if (obj.Key && old && /\.strongroom-upload\.[0-9a-f]{16}$/.test(obj.Key) && !live.has(obj.Key)) orphanMarkers.push(obj.Key);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  if (!o.dryRun) for (const k of orphanMarkers) await client.send(new DeleteObjectCommand({ Bucket: o.bucket, Key: k }), signal).catch(() => {});
  return { stale, skipped, orphanMarkers };
}
