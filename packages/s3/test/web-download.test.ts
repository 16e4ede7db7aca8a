/**
 * download() on the web entry against s3rver and Ceph RGW: framed objects through concurrent ranged GETs (counted
 * on the real client's wire, never more than `concurrency`), reassembled in order as a ReadableStream;
 * other formats through one GetObject; and the attacks — a flipped byte, frames swapped, a truncated
 * object, an object replaced during the download — each failing typed without releasing a byte that
 * is not the object's plaintext, nothing of an altered frame or after it.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { parseHeader, REGULAR_FRAME_OVERHEAD, StrongroomError } from '@strongroom/core';
import { countInFlight } from './helpers/in-flight';
import type { LocalS3 } from './helpers/s3rver';
import { s3Servers } from './helpers/s3-servers';
import { clients, drainWeb } from './helpers/web-clients';

const FRAME = 4096;
let s3: LocalS3;
const { web, node } = clients(() => s3, FRAME);

describe.each(s3Servers('web download'))('download() on the web entry on %s', (_server, startServer) => {
  beforeAll(async () => {
    s3 = await startServer();
  });
  afterAll(async () => {
    await s3?.close();
  });

  const put = (key: string, data: Buffer) => node().putObject({ Bucket: s3.bucket, Key: key, Body: data });
  const raw = async (key: string) => {
    const r = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    return { body: Buffer.from(await r.Body!.transformToByteArray()), metadata: r.Metadata ?? {} };
  };
  const putRaw = (key: string, body: Buffer, metadata: Record<string, string>) => s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body, Metadata: metadata }));
  const frameAt = (headerLength: number, sequence: number) => headerLength + (sequence - 1) * (FRAME + REGULAR_FRAME_OVERHEAD);

  it.each([
    [0, 8 * FRAME, 4],
    [1, 8 * FRAME, 4],
    [FRAME, FRAME, 2],
    [8 * FRAME, 2 * FRAME, 3],
    [50 * FRAME + 17, 3 * FRAME + 5, 1],
    [50 * FRAME + 17, 1, 16],
    [1024 * 1024 + 333, 64 * 1024, 5],
  ])('%i bytes, partSize %i, concurrency %i: the plaintext, in order', async (size, partSize, concurrency) => {
    const data = randomBytes(size);
    const key = `wdl/${size}-${partSize}-${concurrency}`;
    await put(key, data);
    const r = await web().download({ Bucket: s3.bucket, Key: key, partSize, concurrency });
    expect(r.ContentLength).toBe(size);
    const got = await drainWeb(r.Body);
    expect(got.error).toBeUndefined();
    expect(got.data.equals(data)).toBe(true);
  });

  it('keeps up to `concurrency` ranged GETs in flight, never more', async () => {
    const data = randomBytes(64 * FRAME);
    await put('wdl/inflight', data);
    const stats = countInFlight(s3.client, 'GetObjectCommand', (input) => input.Range !== undefined);
    try {
      for (const concurrency of [1, 4]) {
        stats.peak = 0;
        stats.total = 0;
        const r = await web().download({ Bucket: s3.bucket, Key: 'wdl/inflight', partSize: 4 * FRAME, concurrency });
        expect((await drainWeb(r.Body)).data.equals(data)).toBe(true);
        expect(stats.total).toBe(1 + 64 / 4); // the header probe and 16 runs of 4 frames
        expect(stats.peak).toBeLessThanOrEqual(concurrency);
        if (concurrency > 1) expect(stats.peak).toBeGreaterThan(1);
      }
    } finally {
      stats.stop();
    }
  });

  it('reads V3 objects through one GetObject; the SDK helpers work on the body', async () => {
    const data = randomBytes(100_000);
    await node('v3').putObject({ Bucket: s3.bucket, Key: 'wdl/v3', Body: data });
    const r = await web('v3').download({ Bucket: s3.bucket, Key: 'wdl/v3', concurrency: 4 });
    expect((await drainWeb(r.Body)).data.equals(data)).toBe(true);
    const framed = randomBytes(5 * FRAME);
    await put('wdl/helpers', framed);
    const f = await web().download({ Bucket: s3.bucket, Key: 'wdl/helpers', partSize: FRAME });
    expect(Buffer.from(await f.Body!.transformToByteArray()).equals(framed)).toBe(true);
  });

  it('a flipped byte fails the download; nothing of the altered frame or after it is released', async () => {
    const data = randomBytes(40 * FRAME + 99);
    await put('wdl/flip', data);
    const { body, metadata } = await raw('wdl/flip');
    const h = parseHeader(body, { maxEncryptedDataKeys: 10 })!.length;
    for (const sequence of [1, 17, 41]) {
      const bad = Buffer.from(body);
      bad[frameAt(h, sequence) + 4 + 100]! ^= 0x01;
      await putRaw('wdl/flip', bad, metadata);
      const r = await web().download({ Bucket: s3.bucket, Key: 'wdl/flip', partSize: 4 * FRAME, concurrency: 4 });
      const got = await drainWeb(r.Body);
      expect(StrongroomError.isInstance(got.error) && got.error.code, `frame ${sequence}`).toBe('AUTHENTICATION_FAILED');
      expect(got.data.length).toBeLessThanOrEqual((sequence - 1) * FRAME);
      expect(got.data.equals(data.subarray(0, got.data.length))).toBe(true);
    }
  });

  it('frames swapped inside the object, a truncated object: typed errors, only a verified prefix released', async () => {
    const data = randomBytes(40 * FRAME + 99);
    await put('wdl/swap', data);
    const { body, metadata } = await raw('wdl/swap');
    const h = parseHeader(body, { maxEncryptedDataKeys: 10 })!.length;
    const size = FRAME + REGULAR_FRAME_OVERHEAD;
    const swapped = Buffer.from(body);
    body.copy(swapped, frameAt(h, 20), frameAt(h, 30), frameAt(h, 30) + size);
    body.copy(swapped, frameAt(h, 30), frameAt(h, 20), frameAt(h, 20) + size);
    const truncated = body.subarray(0, frameAt(h, 41));
    for (const [name, bad] of [['swapped', swapped], ['truncated', truncated]] as const) {
      await putRaw('wdl/swap', bad, metadata);
      const got = await web()
        .download({ Bucket: s3.bucket, Key: 'wdl/swap', partSize: 4 * FRAME, concurrency: 4 })
        .then((r) => drainWeb(r.Body), (error: unknown) => ({ data: Buffer.alloc(0), error }));
      expect(StrongroomError.isInstance(got.error), name).toBe(true);
      expect(['MALFORMED', 'AUTHENTICATION_FAILED']).toContain((got.error as StrongroomError).code);
      expect(got.data.equals(data.subarray(0, got.data.length))).toBe(true);
      expect(got.data.length).toBeLessThan(data.length);
    }
  });

  it('an object replaced during the download fails (ranged GETs are pinned to the first ETag)', async () => {
    const data = randomBytes(30 * FRAME);
    await put('wdl/replaced', data);
    const r = await web().download({ Bucket: s3.bucket, Key: 'wdl/replaced', partSize: 2 * FRAME, concurrency: 1 });
    await put('wdl/replaced', randomBytes(30 * FRAME));
    const got = await drainWeb(r.Body);
    expect(got.error).toBeDefined();
    expect(got.data.equals(data.subarray(0, got.data.length))).toBe(true);
  });

  it("the caller's abort errors the stream with ABORTED; bad parameters and Range are refused", async () => {
    const data = randomBytes(40 * FRAME);
    await put('wdl/abort', data);
    const controller = new AbortController();
    const r = await web().download({ Bucket: s3.bucket, Key: 'wdl/abort', partSize: 2 * FRAME, concurrency: 2, abortSignal: controller.signal });
    const reader = (r.Body as unknown as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    controller.abort(new Error('user'));
    const rest = await (async () => {
      try {
        for (;;) if ((await reader.read()).done) return undefined;
      } catch (error) {
        return error;
      }
    })();
    expect(StrongroomError.isInstance(rest, 'ABORTED'), String(rest)).toBe(true);
    for (const p of [{ concurrency: 0 }, { concurrency: 65 }, { partSize: 0 }, { Range: 'bytes=0-1' }]) {
      await expect(web().download({ Bucket: s3.bucket, Key: 'wdl/abort', ...p } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });
});
