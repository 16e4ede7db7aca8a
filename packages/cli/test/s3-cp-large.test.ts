/**
 * `strongroom s3 cp` in bounded memory: a 1 GiB framed object up and down, and an S3 Encryption Client
 * V3 object larger than the client's bufferSize (64 MiB), which streams into a private partial file and
 * gets the target name only after the AES-GCM tag verified (docs/cli.md#strongroom-s3-cp). What a
 * tampered V3 object leaves behind is s3-cp-tamper.test.ts's subject (it measures no memory, so it runs
 * beside other files). The real CLI binary, a real s3rver over a real socket, data generated as it streams.
 */
import { createReadStream, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLines } from './helpers';
import { BUCKET, cpArgs, generated, runCliStreaming, sha256Of, startS3Only, storedObjectPath, type S3OnlyStack } from './s3-cli-helpers';

const MiB = 1024 * 1024;
const BIG = 300 * MiB + 123; // well past the 64 MiB bufferSize, not a multiple of anything
let stack: S3OnlyStack;
let out: string;
let env: Record<string, string>;

const cp = (from: string, to: string) => cpArgs(stack, from, to);

beforeAll(async () => {
  stack = await startS3Only();
  // STRONGROOM_TIMEOUT: s3rver answers CompleteMultipartUpload only after copying every part into
  // the object (1 GiB here) and sends nothing meanwhile; on a loaded CI machine that outlasted the
  // CLI's default 30 s of socket silence, the SDK retried the Complete, and the retry found the
  // upload already consumed (s3rver: 500 InternalError). Real S3 keeps a long Complete alive with
  // whitespace. Deadlines are deadlines.test.ts's subject; this file's is memory and verification.
  env = { STRONGROOM_RAW_AES_KEY: stack.rawKeyBase64, STRONGROOM_TIMEOUT: '600' };
  out = join(stack.dir, 'out');
  mkdirSync(out, { mode: 0o700 });
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

describe('s3 cp: a 1 GiB framed object (the default format)', () => {
  // Memory, per process (peak RSS): what a 1 GiB object costs beyond a 64 MiB one (< 64 MiB: memory
  // does not grow with the size), and what a 64 MiB one costs beyond a 1 MiB one (< 128 MiB: the part
  // buffers and the one-time ramp-up of a Node process's heap and allocator, which the first tens of
  // MiB of any transfer pay; docs/performance.md, "Memory of long transfers").
  it('up from a pipe and down to a pipe, each frame verified, peak RSS growth < 64 MiB both ways beyond a 64 MiB object', async () => {
    const GiB = 1024 * MiB;
    const expected = await sha256Of(generated(GiB, 3));
    const run = async (size: number, seed: number, name: string) => {
      const up = await runCliStreaming(cp('-', `s3://${BUCKET}/${name}`), { stdin: generated(size, seed), env });
      expect(errorLines(up.stderr)).toEqual([]);
      expect(up.code).toBe(0);
      const down = await runCliStreaming(cp(`s3://${BUCKET}/${name}`, '-'), { env });
      expect(errorLines(down.stderr)).toEqual([]);
      expect(down.code).toBe(0);
      expect(down.stdoutBytes).toBe(size);
      return { up, down };
    };
    const small = await run(MiB, 4, 'framed-small.bin');
    const mid = await run(64 * MiB, 5, 'framed-64m.bin');
    const { up, down } = await run(GiB, 3, 'framed-1g.bin');
    expect(down.stdoutSha256).toBe(expected);
    const mib = (n: number) => (n / MiB).toFixed(1);
    const peaks = (r: { up: { maxRssBytes: number }; down: { maxRssBytes: number } }) => `${mib(r.up.maxRssBytes)} / ${mib(r.down.maxRssBytes)}`;
    console.info(`s3 cp framed, peak RSS up / down (MiB): 1 GiB ${peaks({ up, down })}, 64 MiB ${peaks(mid)}, 1 MiB ${peaks(small)}`);
    expect(up.maxRssBytes - mid.up.maxRssBytes).toBeLessThan(64 * MiB);
    expect(down.maxRssBytes - mid.down.maxRssBytes).toBeLessThan(64 * MiB);
    expect(mid.up.maxRssBytes - small.up.maxRssBytes).toBeLessThan(128 * MiB);
    expect(mid.down.maxRssBytes - small.down.maxRssBytes).toBeLessThan(128 * MiB);
  }, 1_200_000);
});

describe('s3 cp: V3 objects larger than bufferSize', () => {
  it('downloads a 300 MiB object into a file (0600), authenticated, in bounded memory', async () => {
    const expected = await sha256Of(generated(BIG, 1));
    const up = await runCliStreaming([...cp('-', `s3://${BUCKET}/big.bin`), '--format', 'v3'], { stdin: generated(BIG, 1), env });
    expect(errorLines(up.stderr)).toEqual([]);
    expect(up.code).toBe(0);
    expect(statSync(storedObjectPath(stack, 'big.bin')).size).toBe(BIG + 16); // V3: ciphertext ‖ tag

    // Baselines (docs/performance.md, "Memory of long transfers"): the same command on a 64 MiB object
    // (past the one-time ramp-up of a Node process's heap and allocator) and on a 1 MiB one. The
    // 300 MiB download may cost < 64 MiB beyond the 64 MiB one (memory does not grow with the size);
    // the ramp-up itself, 64 MiB beyond 1 MiB, < 128 MiB.
    const download = async (name: string, size: number, seed: number) => {
      const put = await runCliStreaming([...cp('-', `s3://${BUCKET}/${name}`), '--format', 'v3'], { stdin: generated(size, seed), env });
      expect(put.code).toBe(0);
      const get = await runCliStreaming(cp(`s3://${BUCKET}/${name}`, join(out, name)), { env });
      expect(errorLines(get.stderr)).toEqual([]);
      expect(get.code).toBe(0);
      expect(statSync(join(out, name)).size).toBe(size);
      return get;
    };
    const small = await download('small.bin', MiB, 2);
    const mid = await download('mid.bin', 64 * MiB, 3);

    const down = await runCliStreaming(cp(`s3://${BUCKET}/big.bin`, join(out, 'big.bin')), { env });
    expect(errorLines(down.stderr)).toEqual([]);
    expect(down.code).toBe(0);
    expect(statSync(join(out, 'big.bin')).size).toBe(BIG);
    expect(statSync(join(out, 'big.bin')).mode & 0o777).toBe(0o600);
    expect(await sha256Of(createReadStream(join(out, 'big.bin')))).toBe(expected);
    const mib = (n: number) => (n / MiB).toFixed(1);
    console.info(`s3 cp download, peak RSS (MiB): ${(BIG / MiB).toFixed(0)} MiB ${mib(down.maxRssBytes)}, 64 MiB ${mib(mid.maxRssBytes)}, 1 MiB ${mib(small.maxRssBytes)}`);
    expect(down.maxRssBytes - mid.maxRssBytes).toBeLessThan(64 * MiB);
    expect(mid.maxRssBytes - small.maxRssBytes).toBeLessThan(128 * MiB);
  }, 900_000);
});
