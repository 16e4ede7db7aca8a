/**
 * download(): framed objects through concurrent ranged GETs (s3rver and Ceph RGW), reassembled in
 * order, each frame verified before release. Round trips across sizes, part sizes and concurrency;
 * the number of GETs in flight (counted on the real client's wire); and the attacks — a flipped
 * byte, frames swapped within the object, a truncated object, an object copied over another key, an
 * object replaced during the download — each failing with a typed error and never releasing a byte
 * that is not the object's plaintext.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { REGULAR_FRAME_OVERHEAD, StrongroomError, parseHeader } from '@strongroom/core';
import { EncryptedS3Client } from '../src/index';
import type { LocalS3 } from './helpers/s3rver';
import { s3Servers } from './helpers/s3-servers';
import { countInFlight } from './helpers/in-flight';
import { aesProvider } from './helpers/providers';

const FRAME = 4096;
let s3: LocalS3;

/** Read a body, keeping what arrived before an error. */
async function drain(body: AsyncIterable<Uint8Array>): Promise<{ data: Buffer; error?: unknown }> {
  const parts: Buffer[] = [];
  try {
    for await (const c of body) parts.push(Buffer.from(c));
    return { data: Buffer.concat(parts) };
  } catch (error) {
    return { data: Buffer.concat(parts), error };
  }
}

describe.each(s3Servers('parallel download'))('download() on %s', (_server, startServer) => {
  beforeAll(async () => {
    s3 = await startServer();
  });
  afterAll(async () => {
    await s3?.close();
  });

  const framed = () => new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider(), format: 'framed', frameLength: FRAME });
  const put = async (key: string, data: Buffer) => framed().send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: data }));
  const raw = async (key: string) => {
    const r = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    return { body: Buffer.from(await r.Body!.transformToByteArray()), metadata: r.Metadata ?? {} };
  };
  const putRaw = (key: string, body: Buffer, metadata: Record<string, string>) =>
    s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body, Metadata: metadata }));

  it.each([
    [0, 8 * FRAME, 4],
    [1, 8 * FRAME, 4],
    [FRAME, FRAME, 2],
    [8 * FRAME, 2 * FRAME, 3], // a whole number of runs: the final frame is a full one
    [50 * FRAME + 17, 3 * FRAME, 4],
    [50 * FRAME + 17, 3 * FRAME + 5, 1], // partSize rounds down to whole frames
    [50 * FRAME + 17, 1, 64], // one frame per GET
    [3 * 1024 * 1024 + 333, 256 * 1024, 5],
  ])('%i bytes, partSize %i, concurrency %i: the plaintext, in order', async (size, partSize, concurrency) => {
    const data = randomBytes(size);
    const key = `par/${size}-${partSize}-${concurrency}`;
    await put(key, data);
    const c = framed();
    const r = await c.download({ Bucket: s3.bucket, Key: key, partSize, concurrency });
    expect(r.ContentLength).toBe(size);
    const got = await drain(r.Body as AsyncIterable<Uint8Array>);
    expect(got.error).toBeUndefined();
    expect(got.data.equals(data)).toBe(true);
  });

  it('keeps up to `concurrency` ranged GETs in flight, never more', async () => {
    const data = randomBytes(64 * FRAME);
    await put('par/inflight', data);
    const stats = countInFlight(s3.client, 'GetObjectCommand', (input) => input.Range !== undefined);
    try {
      for (const concurrency of [1, 4]) {
        stats.peak = 0;
        stats.total = 0;
        const r = await framed().download({ Bucket: s3.bucket, Key: 'par/inflight', partSize: 4 * FRAME, concurrency });
        const got = await drain(r.Body as AsyncIterable<Uint8Array>);
        expect(got.data.equals(data)).toBe(true);
        expect(stats.total).toBe(1 + 64 / 4); // the header probe and 16 runs of 4 frames (the 64th is the final frame)
        expect(stats.peak).toBeLessThanOrEqual(concurrency);
        if (concurrency > 1) expect(stats.peak).toBeGreaterThan(1);
      }
    } finally {
      stats.stop();
    }
  });

  it('reads V2/V3 objects through one GetObject', async () => {
    const data = randomBytes(100_000);
    const v3 = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider() });
    await v3.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'par/v3', Body: data }));
    const r = await v3.download({ Bucket: s3.bucket, Key: 'par/v3', concurrency: 4 });
    expect((await drain(r.Body as AsyncIterable<Uint8Array>)).data.equals(data)).toBe(true);
  });

  /** Where frame `sequence` starts in the stored object (regular frames of FRAME bytes). */
  const frameAt = (headerLength: number, sequence: number) => headerLength + (sequence - 1) * (FRAME + REGULAR_FRAME_OVERHEAD);

  it('a flipped byte fails the download; nothing of the altered frame or after it is released', async () => {
    const data = randomBytes(40 * FRAME + 99);
    await put('par/flip', data);
    const { body, metadata } = await raw('par/flip');
    const h = parseHeader(body, { maxEncryptedDataKeys: 10 })!.length;
    for (const sequence of [1, 17, 41]) {
      const bad = Buffer.from(body);
      bad[frameAt(h, sequence) + 4 + 100]! ^= 0x01; // inside the frame's ciphertext (after its 4-byte sequence number)
      await putRaw('par/flip', bad, metadata); // at its own key: the binding holds, only the frame is altered
      const r = await framed().download({ Bucket: s3.bucket, Key: 'par/flip', partSize: 4 * FRAME, concurrency: 4 });
      const got = await drain(r.Body as AsyncIterable<Uint8Array>);
      expect(StrongroomError.isInstance(got.error) && got.error.code, `frame ${sequence}`).toBe('AUTHENTICATION_FAILED');
      expect(got.data.length).toBeLessThanOrEqual((sequence - 1) * FRAME);
      expect(got.data.equals(data.subarray(0, got.data.length))).toBe(true);
    }
  });

  it('frames swapped inside the object, a truncated object: typed errors, only a verified prefix released', async () => {
    const data = randomBytes(40 * FRAME + 99);
    await put('par/swap', data);
    const { body, metadata } = await raw('par/swap');
    const h = parseHeader(body, { maxEncryptedDataKeys: 10 })!.length;
    const size = FRAME + REGULAR_FRAME_OVERHEAD;
    const swapped = Buffer.from(body);
    body.copy(swapped, frameAt(h, 20), frameAt(h, 30), frameAt(h, 30) + size);
    body.copy(swapped, frameAt(h, 30), frameAt(h, 20), frameAt(h, 20) + size);
    const truncated = body.subarray(0, frameAt(h, 41)); // the final frame cut off
    for (const [name, bad] of [['swapped', swapped], ['truncated', truncated]] as const) {
      await putRaw('par/swap', bad, metadata);
      const got = await framed()
        .download({ Bucket: s3.bucket, Key: 'par/swap', partSize: 4 * FRAME, concurrency: 4 })
        .then((r) => drain(r.Body as AsyncIterable<Uint8Array>), (error: unknown) => ({ data: Buffer.alloc(0), error }));
      expect(StrongroomError.isInstance(got.error), name).toBe(true);
      expect(['MALFORMED', 'AUTHENTICATION_FAILED']).toContain((got.error as StrongroomError).code);
      expect(got.data.equals(data.subarray(0, got.data.length))).toBe(true);
      expect(got.data.length).toBeLessThan(data.length);
    }
  });

  it('an object copied over another key fails before any byte', async () => {
    await put('par/victim', randomBytes(10 * FRAME));
    await put('par/attacker', randomBytes(10 * FRAME));
    await s3.client.send(new CopyObjectCommand({ Bucket: s3.bucket, Key: 'par/victim', CopySource: `${s3.bucket}/par/attacker` }));
    const error = await framed()
      .download({ Bucket: s3.bucket, Key: 'par/victim', partSize: FRAME, concurrency: 4 })
      .then(() => undefined, (e: unknown) => e);
    expect(StrongroomError.isInstance(error)).toBe(true);
    expect(['AUTHENTICATION_FAILED', 'NO_DECRYPTION_KEY', 'ENCRYPTION_CONTEXT']).toContain((error as StrongroomError).code);
  });

  it('an object replaced during the download fails (ranged GETs are pinned to the first ETag)', async () => {
    const data = randomBytes(30 * FRAME);
    await put('par/replaced', data);
    const r = await framed().download({ Bucket: s3.bucket, Key: 'par/replaced', partSize: 2 * FRAME, concurrency: 1 });
    await put('par/replaced', randomBytes(30 * FRAME)); // same length and key: only the ETag tells them apart
    const got = await drain(r.Body as AsyncIterable<Uint8Array>);
    expect(got.error).toBeDefined();
    expect(got.data.equals(data.subarray(0, got.data.length))).toBe(true);
  });

  it('refuses bad parameters and Range', async () => {
    const c = framed();
    for (const p of [{ concurrency: 0 }, { concurrency: 65 }, { partSize: 0 }, { concurrency: 1.5 }, { Range: 'bytes=0-1' }]) {
      await expect(c.download({ Bucket: s3.bucket, Key: 'par/flip', ...p } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
  });
});
