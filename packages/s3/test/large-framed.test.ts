/**
 * The must-shows of a 1 GiB framed object (docs/s3.md#framed-objects), on s3rver (the tampering
 * edits its stored files in place; rewriting 1 GiB objects on RGW would double the run):
 * - upload() and download() in bounded memory: each in a child process over the built package,
 *   peak RSS growth < 64 MiB over a process that made one 64 MiB transfer each way before, and that
 *   warm-up itself (the part buffers, and the one-time ramp-up of a Node process's heap and
 *   allocator: helpers/large-transfer-child.mjs) < 128 MiB; the data is generated here as it streams into the child's
 *   stdin (as a user pipes a file) and compared by SHA-256;
 * - ranged GETs of a property-based set of ranges (fast-check) each equal the plaintext slice;
 * - a byte flipped inside a range fails that read, one flipped outside it does not affect it;
 * - two swapped objects both fail.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { REGULAR_FRAME_OVERHEAD, StrongroomError, parseHeader } from '@strongroom/core';
import { flipStoredBit, generatedSlice, generatedStream } from '@strongroom/testing';
import { createHash } from 'node:crypto';
import { EncryptedS3Client } from '../src/index';
import { AES_KEY, aesProvider } from './helpers/providers';
import { startS3, type LocalS3 } from './helpers/s3rver';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SEED = 'large-framed';
const KEY = 'large/1g.bin';
const FRAME = 64 * 1024; // the default frame length
let s3: LocalS3;

const stored = (key: string, suffix = '') => join(s3.directory!, s3.bucket, `${key}._S3rver_object${suffix}`);

/** Flip one bit of the stored object at `offset`, in place (s3rver keeps its ETag). */
const flip = (key: string, offset: number) => flipStoredBit(stored(key), offset);

/** Run the child (see helpers/large-transfer-child.mjs), streaming `stdin` into it. */
async function child(mode: 'up' | 'down', stdin?: Readable): Promise<{ growth: number; rampUp?: number; events?: number; loaded?: number; bytes?: number; sha256?: string; contentLength?: number }> {
  const script = join(__dirname, 'helpers', 'large-transfer-child.mjs');
  const proc = spawn(process.execPath, [script, mode, s3.endpoint, s3.bucket, KEY], {
    env: { ...process.env, TEST_AES_KEY: AES_KEY.toString('base64') },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stdin.on('error', () => {});
  if (stdin) stdin.pipe(proc.stdin);
  else proc.stdin.end();
  const [code] = (await once(proc, 'close')) as [number | null];
  expect(code, `child ${mode}`).toBe(0);
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

const framed = () => new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider(), format: 'framed' });

async function readRange(range: string): Promise<{ data?: Buffer; error?: unknown; contentRange?: string }> {
  try {
    const r = await framed().getObject({ Bucket: s3.bucket, Key: KEY, Range: range });
    return { data: Buffer.from(await r.Body!.transformToByteArray()), ...(r.ContentRange ? { contentRange: r.ContentRange } : {}) };
  } catch (error) {
    return { error };
  }
}

/** The stored object's header length (read from s3rver's file; the object is the first test's upload). */
function headerLength(): number {
  const head = Buffer.alloc(4096);
  const fd = openSync(stored(KEY), 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  return parseHeader(head, { maxEncryptedDataKeys: 10 })!.length;
}

describe('a 1 GiB framed object', () => {
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3?.close();
  });

  it('upload() and download() through EncryptedS3Client: the same bytes, peak RSS growth < 64 MiB each way after a 64 MiB warm-up (< 128 MiB)', async () => {
    const up = await child('up', generatedStream(GiB, SEED));
    expect(up.loaded).toBe(GiB);
    expect(up.events).toBeGreaterThan(100); // one per 5 MiB part
    expect(statSync(stored(KEY)).size).toBeGreaterThan(GiB);
    const down = await child('down');
    expect(down.bytes).toBe(GiB);
    expect(down.contentLength).toBe(GiB);
    const expected = createHash('sha256');
    for await (const c of generatedStream(GiB, SEED)) expected.update(c as Buffer);
    expect(down.sha256).toBe(expected.digest('hex'));
    const mib = (n: number) => (n / MiB).toFixed(1);
    console.info(`1 GiB framed: peak RSS growth upload() ${mib(up.growth)} MiB, download() ${mib(down.growth)} MiB (after the first transfers' one-time ramp-up: ${mib(up.rampUp!)} / ${mib(down.rampUp!)} MiB)`);
    expect(up.growth).toBeLessThan(64 * MiB);
    expect(down.growth).toBeLessThan(64 * MiB);
    expect(up.rampUp).toBeLessThan(128 * MiB);
    expect(down.rampUp).toBeLessThan(128 * MiB);
  }, 1_200_000);

  it('every ranged GET of a property-based set of ranges equals the plaintext slice', async () => {
    const P = GiB;
    const ranges = fc.oneof(
      // bytes=a-b, up to 1 MiB long, anywhere (frame boundaries included: 64 KiB multiples ± 1)
      fc.tuple(fc.oneof(fc.integer({ min: 0, max: P - 1 }), fc.integer({ min: 1, max: P / FRAME - 1 }).chain((f) => fc.integer({ min: f * FRAME - 1, max: f * FRAME + 1 }))), fc.integer({ min: 0, max: MiB }))
        .map(([a, n]) => ({ range: `bytes=${a}-${a + n}`, start: a, end: Math.min(P - 1, a + n) })),
      // bytes=a- near the end, bytes=-n
      fc.integer({ min: P - MiB, max: P - 1 }).map((a) => ({ range: `bytes=${a}-`, start: a, end: P - 1 })),
      fc.integer({ min: 1, max: MiB }).map((n) => ({ range: `bytes=-${n}`, start: P - n, end: P - 1 })),
    );
    await fc.assert(
      fc.asyncProperty(ranges, async ({ range, start, end }) => {
        const r = await readRange(range);
        expect(r.error).toBeUndefined();
        expect(r.contentRange).toBe(`bytes ${start}-${end}/${P}`);
        expect(r.data!.equals(generatedSlice(start, end, SEED))).toBe(true);
      }),
      { numRuns: 40 },
    );
    expect((await readRange(`bytes=${P}-`)).error).toMatchObject({ details: { status: 416 } });
  }, 600_000);

  it('a byte flipped inside a range fails that read; one flipped outside it does not affect it', async () => {
    const header = headerLength();
    const frameAt = (sequence: number) => header + (sequence - 1) * (FRAME + REGULAR_FRAME_OVERHEAD);
    const start = 300 * MiB + 12345;
    const end = start + 200_000; // frames 4801 … 4804
    const range = `bytes=${start}-${end}`;
    const inside = frameAt(Math.floor(start / FRAME) + 2) + 100;
    const outside = frameAt(Math.floor(end / FRAME) + 2) + 100; // the frame after the last one read
    const slice = generatedSlice(start, end, SEED);
    flip(KEY, inside);
    const bad = await readRange(range);
    flip(KEY, inside);
    expect(StrongroomError.isInstance(bad.error) && bad.error.code).toBe('AUTHENTICATION_FAILED');
    flip(KEY, outside);
    const good = await readRange(range);
    flip(KEY, outside);
    expect(good.error).toBeUndefined();
    expect(good.data!.equals(slice)).toBe(true);
    expect((await readRange(range)).data!.equals(slice)).toBe(true); // restored
  }, 120_000);

  it('two swapped objects both fail', async () => {
    await framed().send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'large/other.bin', Body: generatedSlice(0, 300_000, 'other') }));
    const swap = () => {
      for (const suffix of ['', '.md5']) {
        renameSync(stored(KEY, suffix), stored(KEY, `${suffix}.swap`));
        renameSync(stored('large/other.bin', suffix), stored(KEY, suffix));
        renameSync(stored(KEY, `${suffix}.swap`), stored('large/other.bin', suffix));
      }
      const meta = (k: string) => join(s3.directory!, s3.bucket, `${k}._S3rver_metadata.json`);
      renameSync(meta(KEY), `${meta(KEY)}.swap`);
      renameSync(meta('large/other.bin'), meta(KEY));
      renameSync(`${meta(KEY)}.swap`, meta('large/other.bin'));
    };
    swap();
    try {
      for (const [key, range] of [[KEY, 'bytes=0-99'], ['large/other.bin', 'bytes=0-99'], ['large/other.bin', undefined]] as const) {
        const error = await framed()
          .getObject({ Bucket: s3.bucket, Key: key, ...(range ? { Range: range } : {}) })
          .then((r) => r.Body!.transformToByteArray())
          .then(() => undefined, (e: unknown) => e);
        expect(StrongroomError.isInstance(error), `${key} ${range}`).toBe(true);
        expect(['AUTHENTICATION_FAILED', 'NO_DECRYPTION_KEY', 'ENCRYPTION_CONTEXT']).toContain((error as StrongroomError).code);
      }
    } finally {
      swap();
    }
    expect((await readRange('bytes=0-99')).data!.equals(generatedSlice(0, 99, SEED))).toBe(true);
  }, 120_000);
});
