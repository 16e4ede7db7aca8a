/**
 * Encrypted multipart: low-level commands (in-order parts, isLastPart, tag-only last part, abort)
 * and upload() streaming with progress events, bounded memory, and abort-on-failure.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { StrongroomError } from '@strongroom/core';
import { EncryptedS3Client, type Progress } from '../src/index';
import type { LocalS3 } from './helpers/s3rver';
import { s3Servers } from './helpers/s3-servers';
import { aesProvider } from './helpers/providers';

let s3: LocalS3;

describe.each(s3Servers('multipart'))('on %s', (server, startServer) => {
  beforeAll(async () => {
    s3 = await startServer();
  });
  afterAll(async () => {
    await s3?.close();
  });

  /** The multipart uploads in progress for `key` (ListMultipartUploads; s3rver does not implement it). */
  const uploadIds = async (key: string) => {
    const r = await s3.client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: key }));
    return (r.Uploads ?? []).filter((u) => u.Key === key).map((u) => u.UploadId);
  };

  const get = async (c: EncryptedS3Client, key: string) =>
    Buffer.from(await (await c.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToByteArray());

  describe.each(['v3', 'v2'] as const)('%s low-level multipart', (format) => {
    const client = () => new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider(), format });

    it.each([true, false])('parts in order, last part flagged = %s', async (flagLast) => {
      const c = client();
      const key = `mpu/${format}/${flagLast}`;
      // Every part but the last must reach the server's minimum (RGW here: 64 KiB): unflagged, the
      // client appends a tag-only part, so the third data part is not the last one S3 sees.
      const parts = [randomBytes(64 * 1024), randomBytes(64 * 1024), randomBytes(64 * 1024 + 1234)];
      const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: key, Metadata: { a: 'b' } }));
      const done = [];
      for (const [i, body] of parts.entries()) {
        const r = await c.send(new UploadPartCommand({ Bucket: s3.bucket, Key: key, UploadId, PartNumber: i + 1, Body: body }), {
          isLastPart: flagLast && i === parts.length - 1,
        });
        done.push({ PartNumber: i + 1, ETag: r.ETag });
      }
      await c.send(new CompleteMultipartUploadCommand({ Bucket: s3.bucket, Key: key, UploadId, MultipartUpload: { Parts: done } }));
      expect((await get(c, key)).equals(Buffer.concat(parts))).toBe(true);
      const head = await c.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
      expect(head.ContentLength).toBe(64 * 1024 * 3 + 1234);
    });

    it('refuses out-of-order parts and foreign uploads', async () => {
      const c = client();
      const key = `mpu/${format}/bad`;
      const { UploadId } = await c.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: key }));
      await expect(c.send(new UploadPartCommand({ Bucket: s3.bucket, Key: key, UploadId, PartNumber: 2, Body: randomBytes(16) }))).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      await expect(c.send(new UploadPartCommand({ Bucket: s3.bucket, Key: key, UploadId: 'nope', PartNumber: 1, Body: 'x' }))).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      if (server === 's3rver') {
        // s3rver 3.7.1 answers AbortMultipartUpload with MethodNotAllowed; our side forgets the upload anyway.
        await c.send(new AbortMultipartUploadCommand({ Bucket: s3.bucket, Key: key, UploadId })).catch((e) => expect(e.name).toBe('MethodNotAllowed'));
      } else {
        expect(await uploadIds(key)).toEqual([UploadId]);
        await c.send(new AbortMultipartUploadCommand({ Bucket: s3.bucket, Key: key, UploadId }));
        expect(await uploadIds(key)).toEqual([]);
      }
      await expect(c.send(new UploadPartCommand({ Bucket: s3.bucket, Key: key, UploadId, PartNumber: 1, Body: 'x' }))).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      const list = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: key }));
      expect(list.KeyCount ?? 0).toBe(0);
    });
  });

  function chunkedStream(data: Buffer, chunk = 50_000): Readable {
    let off = 0;
    return new Readable({
      read() {
        if (off >= data.length) return this.push(null);
        this.push(data.subarray(off, off + chunk));
        off += chunk;
      },
    });
  }

  describe('upload()', () => {
    it.each([
      ['stream, several parts', 1_000_000, true],
      ['buffer, several parts', 1_000_000, false],
      ['exact multiple of partSize', 4 * 65_536, true],
      ['single part → PutObject', 10_000, true],
      ['empty', 0, true],
    ])('%s', async (_name, size, stream) => {
      const c = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider(), envelopeLocation: size % 2 ? 'metadata' : 'instruction-file' });
      const key = `upload/${size}/${stream}`;
      const data = randomBytes(size);
      const up = c.upload({ Bucket: s3.bucket, Key: key, Body: stream ? chunkedStream(data) : data, partSize: 65_536, queueSize: 3 });
      const events: Progress[] = [];
      up.on('httpUploadProgress', (p: Progress) => events.push(p));
      const out = await up.done();
      expect(out.Key).toBe(key);
      expect((await get(c, key)).equals(data)).toBe(true);
      expect(events.length).toBeGreaterThan(0);
      expect(events.at(-1)!.loaded).toBe(size);
      expect(events.every((e) => e.Key === key && e.Bucket === s3.bucket)).toBe(true);
      const loaded = events.map((e) => e.loaded!);
      expect([...loaded].sort((a, b) => a - b)).toEqual(loaded);
      if (!stream) expect(events.at(-1)!.total).toBe(size);
    });

    it('validates partSize and queueSize', () => {
      const c = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider() });
      expect(() => c.upload({ Bucket: s3.bucket, Key: 'x', Body: 'x', partSize: 1000 })).toThrow(StrongroomError);
      expect(() => c.upload({ Bucket: s3.bucket, Key: 'x', Body: 'x', queueSize: 0 })).toThrow(StrongroomError);
    });

    it('aborts the multipart upload when a part fails: no object is visible', async () => {
      // A client whose UploadPart fails on the third part (real SDK client, middleware-injected fault).
      let parts = 0;
      const aborts: (string | undefined)[] = [];
      const client = s3.client;
      const wrapper = {
        send: (cmd: unknown, opts?: unknown) => {
          if (cmd instanceof UploadPartCommand && ++parts === 3) return Promise.reject(new Error('network down'));
          if (cmd instanceof AbortMultipartUploadCommand) aborts.push((cmd.input as { UploadId?: string }).UploadId);
          return client.send(cmd as never, opts as never);
        },
      } as unknown as S3Client;
      const c = new EncryptedS3Client({ client: wrapper, keyProvider: aesProvider() });
      const key = 'upload/fails';
      const up = c.upload({ Bucket: s3.bucket, Key: key, Body: chunkedStream(randomBytes(600_000)), partSize: 65_536, queueSize: 2 });
      await expect(up.done()).rejects.toThrow('network down');
      expect(aborts).toHaveLength(1);
      expect(aborts[0]).toBeTruthy();
      const list = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: key }));
      expect(list.KeyCount ?? 0).toBe(0);
      // s3rver cannot list or abort multipart uploads; a real S3 shows that the abort took effect.
      if (server !== 's3rver') expect(await uploadIds(key)).toEqual([]);
    });

    it('abort() stops the upload with an AbortError and leaves no object', async () => {
      const c = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider() });
      const key = 'upload/aborted';
      const up = c.upload({ Bucket: s3.bucket, Key: key, Body: chunkedStream(randomBytes(2_000_000)), partSize: 65_536, queueSize: 1 });
      up.on('httpUploadProgress', (p: Progress) => {
        if (p.part === 2) void up.abort();
      });
      await expect(up.done()).rejects.toMatchObject({ name: 'AbortError' });
      const list = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: key }));
      expect(list.KeyCount ?? 0).toBe(0);
      if (server !== 's3rver') expect(await uploadIds(key)).toEqual([]);
    });

    it('streams 64 MiB with bounded read-ahead, and reports RSS growth', async () => {
      const c = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider(), delayedAuthentication: true });
      const size = 64 * 1024 * 1024;
      const partSize = 1024 * 1024;
      const queueSize = 2;
      const key = 'upload/64m';
      let produced = 0;
      let acknowledged = 0;
      let maxAhead = 0;
      const chunk = randomBytes(256 * 1024);
      const source = new Readable({
        highWaterMark: 256 * 1024,
        read() {
          if (produced >= size) return this.push(null);
          produced += chunk.length;
          maxAhead = Math.max(maxAhead, produced - acknowledged);
          this.push(chunk);
        },
      });
      const before = process.memoryUsage().rss;
      let peak = before;
      const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      try {
        const up = c.upload({ Bucket: s3.bucket, Key: key, Body: source, partSize, queueSize });
        up.on('httpUploadProgress', (p: Progress) => (acknowledged = p.loaded!));
        await up.done();
        const got = await c.getObject({ Bucket: s3.bucket, Key: key });
        let n = 0;
        for await (const part of got.Body as AsyncIterable<Buffer>) {
          if (n === 0) expect(part.subarray(0, 16).equals(chunk.subarray(0, 16))).toBe(true);
          n += part.length;
        }
        expect(n).toBe(size);
      } finally {
        clearInterval(timer);
      }
      // Structural bound: the source is never read more than (queueSize + 2) parts ahead of what S3
      // has acknowledged (parts in flight, the part being assembled, stream buffers).
      expect(maxAhead).toBeLessThanOrEqual((queueSize + 2) * partSize + 2 * chunk.length);
      console.info(`[info] 64 MiB upload+download: RSS growth ${((peak - before) / 2 ** 20).toFixed(1)} MiB (bench/s3 measures 1 GiB)`);
    });
  });

  describe('no step loses an object: upload() with an instruction file (faults through a wrapping client)', () => {
    function faulty(fail: (cmd: unknown) => boolean): S3Client {
      const real = s3.client;
      return { send: (cmd: unknown, opts?: unknown) => (fail(cmd) ? Promise.reject(new Error('injected')) : real.send(cmd as never, opts as never)) } as unknown as S3Client;
    }
    const isPut = (suffix: string) => (cmd: unknown) => cmd instanceof PutObjectCommand && (cmd.input.Key ?? '').endsWith(suffix);
    it.each([
      ['completing the upload', 'old', (cmd: unknown) => cmd instanceof CompleteMultipartUploadCommand],
      ['key.instruction after completion', 'new', isPut('.instruction')],
    ] as const)('fails at %s: the %s object decrypts', async (_step, which, fail) => {
      const Key = `upload-instr/${randomBytes(4).toString('hex')}`;
      const good = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider(), envelopeLocation: 'instruction-file' });
      const old = randomBytes(200_000);
      const next = randomBytes(300_000);
      await good.upload({ Bucket: s3.bucket, Key, Body: old, partSize: 65_536 }).done();
      const bad = new EncryptedS3Client({ client: faulty(fail), keyProvider: aesProvider(), envelopeLocation: 'instruction-file' });
      await expect(bad.upload({ Bucket: s3.bucket, Key, Body: next, partSize: 65_536 }).done()).rejects.toThrow('injected');
      expect((await get(good, Key)).equals(which === 'old' ? old : next)).toBe(true);
    });
  });
});
