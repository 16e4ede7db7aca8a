/**
 * upload() of framed objects (s3rver and Ceph RGW): parts of whole frames sealed one by one while up
 * to `queueSize` are on the wire (counted on the real client), progress events as lib-storage's
 * Upload, and the failure paths — a failed part or abort() aborts the multipart upload and no
 * object becomes visible.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, ListObjectsV2Command, UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { StrongroomError } from '@strongroom/core';
import { EncryptedS3Client, type Progress } from '../src/index';
import type { LocalS3 } from './helpers/s3rver';
import { s3Servers } from './helpers/s3-servers';
import { countInFlight } from './helpers/in-flight';
import { aesProvider } from './helpers/providers';

const FRAME = 4096;
let s3: LocalS3;

function chunked(data: Buffer, size = 10_000): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
  })());
}

describe.each(s3Servers('framed upload'))('framed upload() on %s', (server, startServer) => {
  beforeAll(async () => {
    s3 = await startServer();
  });
  afterAll(async () => {
    await s3?.close();
  });

  const framed = (client: S3Client = s3.client) => new EncryptedS3Client({ client, keyProvider: aesProvider(), format: 'framed', frameLength: FRAME });
  const read = async (key: string) => Buffer.from(await (await framed().getObject({ Bucket: s3.bucket, Key: key })).Body!.transformToByteArray());
  const visible = async (key: string) => (await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: key }))).KeyCount ?? 0;
  const uploadsOf = async (key: string) =>
    ((await s3.client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: key }))).Uploads ?? []).filter((u) => u.Key === key);

  it.each([
    ['several parts, stream', 20 * 65_536 + 77, true],
    ['several parts, buffer', 20 * 65_536 + 77, false],
    ['exact multiple of partSize', 8 * 65_536, true],
  ])('%s: reads back; progress as lib-storage; up to queueSize parts in flight', async (_name, size, stream) => {
    const data = randomBytes(size);
    const key = `fup/${size}/${stream}`;
    const stats = countInFlight(s3.client, 'UploadPartCommand');
    try {
      const up = framed().upload({ Bucket: s3.bucket, Key: key, Body: stream ? chunked(data) : data, partSize: 65_536, queueSize: 3 });
      const events: Progress[] = [];
      up.on('httpUploadProgress', (p: Progress) => events.push(p));
      await up.done();
      expect((await read(key)).equals(data)).toBe(true);
      expect(stats.total).toBe(Math.ceil(size / 65_536));
      expect(stats.peak).toBeGreaterThan(1);
      expect(stats.peak).toBeLessThanOrEqual(3);
      expect(events.at(-1)!.loaded).toBe(size);
      expect(events.every((e) => e.Key === key && e.Bucket === s3.bucket)).toBe(true);
      const loaded = events.map((e) => e.loaded!);
      expect([...loaded].sort((a, b) => a - b)).toEqual(loaded);
      if (!stream) expect(events.at(-1)!.total).toBe(size);
    } finally {
      stats.stop();
    }
  });

  it('a part size that is not whole frames is refused before anything is sent', () => {
    expect(() => framed().upload({ Bucket: s3.bucket, Key: 'fup/x', Body: 'x', partSize: 65_536 + 16 })).toThrow(StrongroomError);
  });

  it('a failed part aborts the multipart upload: no object is visible', async () => {
    let parts = 0;
    const aborts: (string | undefined)[] = [];
    const client = s3.client;
    const wrapper = {
      send: (cmd: unknown, opts?: unknown) => {
        if (cmd instanceof UploadPartCommand && ++parts === 4) return Promise.reject(new Error('network down'));
        if (cmd instanceof AbortMultipartUploadCommand) aborts.push((cmd.input as { UploadId?: string }).UploadId);
        return client.send(cmd as never, opts as never);
      },
    } as unknown as S3Client;
    const key = 'fup/fails';
    const up = framed(wrapper).upload({ Bucket: s3.bucket, Key: key, Body: chunked(randomBytes(12 * 65_536)), partSize: 65_536, queueSize: 3 });
    await expect(up.done()).rejects.toThrow('network down');
    expect(aborts).toHaveLength(1);
    expect(await visible(key)).toBe(0);
    if (server !== 's3rver') expect(await uploadsOf(key)).toEqual([]); // s3rver cannot list uploads
  });

  it('abort() stops the upload and leaves no object', async () => {
    const key = 'fup/aborted';
    const up = framed().upload({ Bucket: s3.bucket, Key: key, Body: chunked(randomBytes(30 * 65_536)), partSize: 65_536, queueSize: 2 });
    up.on('httpUploadProgress', (p: Progress) => {
      if (p.part === 2) void up.abort();
    });
    await expect(up.done()).rejects.toMatchObject({ name: 'AbortError' });
    expect(await visible(key)).toBe(0);
    if (server !== 's3rver') expect(await uploadsOf(key)).toEqual([]);
  });
});
