// bench/s3/client-path.mjs — the client's CPU per downloaded MiB without a server competing for the
// CPUs: objects written through s3rver once, then served from memory by a stand-in for S3Client.send
// whose bodies are Node Readables of freshly allocated 64 KiB chunks, as a socket delivers them.
// Rows: the bare body (what the plain client costs past the socket), V3 with delayed authentication,
// framed GetObject, framed download() (concurrency 4, partSize 8 MiB); with BENCH_S3_BASELINE, the
// same rows for another build of @strongroom/s3, interleaved in this process (an A/B of two builds).
// Client CPU is process.cpuUsage() per trial, so it holds up on a loaded machine better than MiB/s.
// Run after `npm run build`: node bench/s3/client-path.mjs
//   BENCH_S3_MIB       object size (default 64)      BENCH_TRIALS   trials per row, median reported (default 7)
//   BENCH_S3_BASELINE  path of another build's dist/index.mjs (e.g. a worktree of main, built)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { RawAesKeyProvider } from '@strongroom/core';
import * as current from '@strongroom/s3';
import { fmt, loadAverage, median, table } from '../lib/measure.mjs';

const MiB = 1 << 20;
const SIZE = Number(process.env.BENCH_S3_MIB ?? 64) * MiB;
const TRIALS = Number(process.env.BENCH_TRIALS ?? 7);
const CHUNK = 64 * 1024;
const Bucket = 'bench';
const builds = { current };
if (process.env.BENCH_S3_BASELINE) builds.baseline = await import(pathToFileURL(resolve(process.env.BENCH_S3_BASELINE)).href);

console.log(`node bench/s3/client-path.mjs — ${new Date().toISOString()}, Node ${process.versions.node}; before: ${loadAverage()}`);
const provider = () => RawAesKeyProvider({ namespace: 'bench', name: 'aes', key: Buffer.alloc(32, 1) });
const block = randomBytes(MiB);
const plaintext = Buffer.alloc(SIZE);
for (let o = 0; o < SIZE; o += MiB) block.copy(plaintext, o);

/** Write the objects through a real s3rver and keep their stored bytes and metadata. */
async function record() {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./s3rver-child.mjs', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  const real = new S3Client({
    endpoint: `http://127.0.0.1:${JSON.parse(line).port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const objects = new Map([['plain', { bytes: plaintext, Metadata: {}, ETag: '"plain"' }]]);
  try {
    for (const format of ['v3', 'framed']) {
      await new current.EncryptedS3Client({ client: real, keyProvider: provider(), format }).upload({ Bucket, Key: format, Body: Readable.from([plaintext]), partSize: 8 * MiB }).done();
      const res = await real.send(new GetObjectCommand({ Bucket, Key: format }));
      objects.set(format, { bytes: Buffer.from(await res.Body.transformToByteArray()), Metadata: res.Metadata, ETag: res.ETag });
    }
  } finally {
    real.destroy();
    child.stdin.end();
  }
  return objects;
}
const objects = await record();

/** A response body as a socket delivers it: fresh 64 KiB Buffers, each pushed on a later turn. */
function body(bytes) {
  let at = 0;
  return new Readable({
    read() {
      setImmediate(() => {
        if (at >= bytes.length) return this.push(null);
        const n = Math.min(CHUNK, bytes.length - at);
        const chunk = Buffer.allocUnsafeSlow(n);
        bytes.copy(chunk, 0, at, at + n);
        at += n;
        this.push(chunk);
      });
    },
  });
}

/** Stands in for S3Client.send: GetObject (with Range) from the recorded objects. */
const memoryS3 = {
  config: {},
  async send(command) {
    const { Key, Range } = command.input;
    const o = objects.get(Key);
    if (!o) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
    const total = o.bytes.length;
    const head = { Metadata: o.Metadata, ETag: o.ETag, $metadata: { httpStatusCode: 200 } };
    if (!Range) return { ...head, Body: body(o.bytes), ContentLength: total };
    const [, a, b] = /^bytes=(\d+)-(\d*)$/.exec(Range);
    const start = Number(a);
    const end = Math.min(total - 1, b ? Number(b) : total - 1);
    return { ...head, Body: body(o.bytes.subarray(start, end + 1)), ContentLength: end - start + 1, ContentRange: `bytes ${start}-${end}/${total}` };
  },
  destroy() {},
};

const cases = [['plain body (the socket\'s chunks, drained)', async () => body(plaintext)]];
for (const [build, m] of Object.entries(builds)) {
  const v3 = new m.EncryptedS3Client({ client: memoryS3, keyProvider: provider(), delayedAuthentication: true });
  const framed = new m.EncryptedS3Client({ client: memoryS3, keyProvider: provider() });
  cases.push(
    [`${build}: V3, delayed authentication`, async () => (await v3.send(new GetObjectCommand({ Bucket, Key: 'v3' }))).Body],
    [`${build}: framed, one GetObject stream`, async () => (await framed.send(new GetObjectCommand({ Bucket, Key: 'framed' }))).Body],
    [`${build}: framed, download(), concurrency 4`, async () => (await framed.download({ Bucket, Key: 'framed', concurrency: 4, partSize: 8 * MiB })).Body],
  );
}

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });
const results = cases.map(() => ({ cpu: [], gc: [], chunks: 0 }));
for (let round = 0; round <= TRIALS; round++) {
  for (let j = 0; j < cases.length; j++) {
    const i = (round + j) % cases.length; // rotated order; round 0 warms up
    const g0 = gcMs;
    const c0 = process.cpuUsage();
    let bytes = 0;
    let chunks = 0;
    for await (const c of await cases[i][1]()) {
      bytes += c.length;
      chunks++;
    }
    const c = process.cpuUsage(c0);
    if (bytes !== SIZE) throw new Error(`${cases[i][0]}: ${bytes} bytes, expected ${SIZE}`);
    if (round === 0) continue;
    results[i].cpu.push((c.user + c.system) / 1000 / (SIZE / MiB));
    results[i].gc.push((gcMs - g0) / (SIZE / MiB));
    results[i].chunks = chunks;
  }
}
console.log(`client CPU per MiB, ${SIZE / MiB} MiB objects served from memory in ${CHUNK / 1024} KiB chunks, median of ${TRIALS} interleaved trials`);
console.log(
  table(
    ['read path', 'client CPU ms/MiB', 'GC pause ms/MiB', 'chunks delivered'],
    cases.map(([name], i) => [name, fmt(median(results[i].cpu), 2), fmt(median(results[i].gc), 2), results[i].chunks]),
  ),
);
console.log(`after: ${loadAverage()}`);
