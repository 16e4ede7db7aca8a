/**
 * The pipe that carries a message's regular frames through a worker pool (src/pool/batch-pipe.ts),
 * under both builds' pooled encoders and decoders. It keeps its own copy of the content key, and when
 * the message's frames are done (`finish`) or it is dropped (`close`) it wipes that copy and the
 * buffers it reused from batch to batch, which held this message's plaintext (sealing: a batch's
 * input; opening: its output). Frames sealed through it match node:crypto's AES-GCM and open through
 * it again; the caller's key is never touched.
 */
import { createDecipheriv, randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { SealedPiece } from '../src/frame-reader';
import { FrameWriter, type SealJob } from '../src/frame-writer';
import { createWorkerPool } from '../src/index';
import { BatchPipe } from '../src/pool/batch-pipe';
import { poolRunner } from '../src/pool/pool-handle';

const pool = createWorkerPool({ size: 2 });
afterAll(() => pool.close());
const runner = poolRunner(pool);
const FRAME = 4096;
const PREFIX = 16; // a regular frame's prefix: u32 sequence number ‖ 12-byte IV

/** What the pipe keeps between batches (private fields, read by this test only). */
interface Internals {
  readonly key: Uint8Array;
  readonly spare: { data: ArrayBuffer; output: ArrayBuffer }[];
}

/** The pipe's internals, and every set of buffers it kept for reuse over its life. */
function watch(pipe: BatchPipe): { internals: Internals; reused: Internals['spare'] } {
  const internals = pipe as unknown as Internals;
  const reused: Internals['spare'] = [];
  const push = internals.spare.push.bind(internals.spare);
  internals.spare.push = (...buffers) => {
    reused.push(...buffers);
    return push(...buffers);
  };
  return { internals, reused };
}

const isZero = (bytes: ArrayBuffer | Uint8Array) => new Uint8Array(bytes).every((b) => b === 0);

/** Regular frames of `plaintext` (the last, final frame is left out: it never goes to the pool). */
function regularFrames(plaintext: Uint8Array): SealJob[] {
  const writer = new FrameWriter(randomBytes(32), FRAME);
  writer.start();
  return writer.update(plaintext);
}

async function sealThrough(key: Uint8Array, jobs: readonly SealJob[]): Promise<{ sealed: Buffer; reused: Internals['spare']; internals: Internals }> {
  const out: Uint8Array[] = [];
  const pipe = new BatchPipe('seal', runner, FRAME, key, (bytes) => out.push(bytes));
  const { internals, reused } = watch(pipe);
  for (const job of jobs) await pipe.seal(job);
  await pipe.finish();
  return { sealed: Buffer.concat(out), reused, internals };
}

describe('BatchPipe', () => {
  // 300 regular frames: three batches of up to 128 frames, two in flight at once.
  const plaintext = randomBytes(300 * FRAME + 5);
  const jobs = regularFrames(plaintext);
  const key = randomBytes(32);
  const keyBefore = Buffer.from(key);

  it('seals frames as node:crypto would read them, then wipes its key copy and the plaintext buffers it reused', async () => {
    const { sealed, reused, internals } = await sealThrough(key, jobs);
    expect(jobs.length).toBe(300);
    expect(sealed.length).toBe(300 * (PREFIX + FRAME + 16));
    jobs.forEach((job, i) => {
      const at = i * (PREFIX + FRAME + 16);
      expect(sealed.subarray(at, at + PREFIX)).toEqual(Buffer.from(job.prefix));
      const decipher = createDecipheriv('aes-256-gcm', key, job.iv).setAAD(job.aad);
      decipher.setAuthTag(sealed.subarray(at + PREFIX + FRAME, at + PREFIX + FRAME + 16));
      const opened = Buffer.concat([decipher.update(sealed.subarray(at + PREFIX, at + PREFIX + FRAME)), decipher.final()]);
      expect(opened.equals(plaintext.subarray(i * FRAME, (i + 1) * FRAME))).toBe(true);
    });
    expect(reused.length).toBeGreaterThan(0); // the buffers went back and forth: there was something to wipe
    expect(isZero(internals.key)).toBe(true);
    expect(reused.every((b) => isZero(b.data) && isZero(b.output))).toBe(true);
    expect(Buffer.from(key).equals(keyBefore)).toBe(true); // the caller's key is the caller's
  });

  it('opens what it sealed, then wipes its key copy and the plaintext buffers it reused', async () => {
    const { sealed } = await sealThrough(key, jobs);
    const opened: Uint8Array[] = [];
    const pipe = new BatchPipe('open', runner, FRAME, key, (bytes) => opened.push(bytes));
    const { internals, reused } = watch(pipe);
    for (const [i, job] of jobs.entries()) {
      const at = i * (PREFIX + FRAME + 16);
      const piece: SealedPiece = {
        kind: 'sealed',
        prefix: sealed.subarray(at, at + PREFIX),
        iv: job.iv,
        aad: job.aad,
        ciphertext: [sealed.subarray(at + PREFIX, at + PREFIX + FRAME)],
        tag: sealed.subarray(at + PREFIX + FRAME, at + PREFIX + FRAME + 16),
        final: false,
      };
      await pipe.open(piece);
    }
    await pipe.finish();
    expect(Buffer.concat(opened).equals(plaintext.subarray(0, 300 * FRAME))).toBe(true);
    expect(reused.length).toBeGreaterThan(0);
    expect(isZero(internals.key)).toBe(true);
    expect(reused.every((b) => isZero(b.data) && isZero(b.output))).toBe(true);
    expect(Buffer.from(key).equals(keyBefore)).toBe(true);
  });

  it('last() sends the last batch and wipes the key copy at once; close() drops an unsent batch and releases nothing more', async () => {
    const released: Uint8Array[] = [];
    const pipe = new BatchPipe('seal', runner, FRAME, key, (bytes) => released.push(bytes));
    const { internals } = watch(pipe);
    await pipe.seal(jobs[0]!);
    pipe.last();
    expect(isZero(internals.key)).toBe(true);
    await pipe.finish(); // the batch last() sent still comes back whole
    expect(Buffer.concat(released).length).toBe(PREFIX + FRAME + 16);

    const dropped: Uint8Array[] = [];
    const closing = new BatchPipe('seal', runner, FRAME, key, (bytes) => dropped.push(bytes));
    const watched = watch(closing);
    for (const job of jobs.slice(0, 10)) await closing.seal(job);
    closing.close();
    expect(isZero(watched.internals.key)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(dropped).toEqual([]);
    expect(Buffer.from(key).equals(keyBefore)).toBe(true);
  });
});
