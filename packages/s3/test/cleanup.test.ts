/**
 * Dangling multipart uploads: an upload whose process died (started, never completed) is found and
 * aborted by cleanupUploads; an upload another client started, and a recent one, are left alone.
 * s3rver cannot list uploads: there cleanup fails with UNSUPPORTED.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateMultipartUploadCommand, HeadObjectCommand, ListMultipartUploadsCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { StrongroomError } from '@strongroom/core';
import { cleanupUploads, EncryptedS3Client, UPLOAD_METADATA, uploadMarkerKey } from '../src/index';
import type { LocalS3 } from './helpers/s3rver';
import { s3Servers } from './helpers/s3-servers';
import { aesProvider } from './helpers/providers';

let s3: LocalS3;

describe.each(s3Servers('s3 cleanup'))('on %s', (server, startServer) => {
  beforeAll(async () => {
    s3 = await startServer();
  });
  afterAll(async () => {
    await s3?.close();
  });

  const inProgress = async (prefix: string) =>
    ((await s3.client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: prefix }))).Uploads ?? []).map((u) => u.UploadId).sort();

  // Each server gets the case that applies to it (registered for that server only: nothing is skipped).
  if (server === 's3rver') {
    it('fails with UNSUPPORTED where the server cannot list uploads', async () => {
      const err = await cleanupUploads(s3.client, { bucket: s3.bucket }).catch((e: unknown) => e);
      expect(StrongroomError.isInstance(err, 'UNSUPPORTED'), String(err)).toBe(true);
    });
  } else {
    it('aborts the stale uploads this client started, and only those', async () => {
      const prefix = `dangling-${randomBytes(3).toString('hex')}/`;
      // "Killed mid-upload": an encrypted upload started, one part sent, never completed.
      const enc = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider() });
      const Key = `${prefix}big.iso`;
      const { UploadId } = await enc.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key }));
      await enc.send(new UploadPartCommand({ Bucket: s3.bucket, Key, UploadId, PartNumber: 1, Body: randomBytes(70_000) }));
      await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: uploadMarkerKey(Key, UploadId!) })); // the marker exists
      // Another client's upload under the same prefix.
      const foreign = await s3.client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: `${prefix}other` }));
      expect(await inProgress(prefix)).toEqual([UploadId, foreign.UploadId].sort());

      // Recent uploads are not stale.
      const recent = await cleanupUploads(s3.client, { bucket: s3.bucket, prefix, olderThanMs: 3600_000 });
      expect(recent.stale).toEqual([]);
      // Dry run: listed, nothing aborted.
      const later = new Date(Date.now() + 2 * 3600_000);
      const dry = await cleanupUploads(s3.client, { bucket: s3.bucket, prefix, olderThanMs: 3600_000, now: later, dryRun: true });
      expect(dry.stale.map((u) => [u.key, u.uploadId])).toEqual([[Key, UploadId]]);
      expect(dry.skipped).toBe(1);
      expect(await inProgress(prefix)).toHaveLength(2);
      // For real: ours aborted (and its marker gone), the foreign one left alone.
      const done = await cleanupUploads(s3.client, { bucket: s3.bucket, prefix, olderThanMs: 3600_000, now: later });
      expect(done.stale.map((u) => u.uploadId)).toEqual([UploadId]);
      expect(await inProgress(prefix)).toEqual([foreign.UploadId]);
      await expect(s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: uploadMarkerKey(Key, UploadId!) }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    });
  }

  it('a completed upload leaves no marker and carries the upload metadata', async () => {
    const enc = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider() });
    const Key = `done-${randomBytes(3).toString('hex')}`;
    await enc.upload({ Bucket: s3.bucket, Key, Body: randomBytes(200_000), partSize: 65_536 }).done();
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key }));
    expect(head.Metadata?.[UPLOAD_METADATA]).toBe('1');
    const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
    const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: Key }));
    expect((listed.Contents ?? []).map((c) => c.Key)).toEqual([Key]);
  });
});
