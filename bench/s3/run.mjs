// bench/s3 — EncryptedS3Client (V3 and framed, single-stream and parallel) vs the plain S3Client
// (lib-storage Upload / GetObject) against the same s3rver on 127.0.0.1, medians of interleaved
// trials, plus a memory run: a 1 GiB object up and down with peak RSS growth.
// Run after `npm run build`: node bench/s3/run.mjs
//   BENCH_S3_MIB     object size for the throughput runs (default 256)
//   BENCH_TRIALS     trials per measurement, median reported (default 5)
//   BENCH_S3_MEMORY_MIB  object size of the memory run (default 1024; 0 skips it)
//   BENCH_S3_PART_MIB / BENCH_S3_QUEUE  partSize (default 8) and queueSize (default 2) for both clients
//   BENCH_S3_CONCURRENCY  ranged GETs in flight of the parallel framed download (default 4; its partSize is BENCH_S3_PART_MIB)
//   BENCH_S3_LINK_MIBPS   cap every connection, each direction, at this many MiB/s (a relay in its own
//                         process, ./link-child.mjs; default: no cap). It models a remote S3, where one
//                         connection is bandwidth-bound and concurrent ranged GETs are what fills the pipe;
//                         plain and encrypted clients go through the same relay.
//   BENCH_S3_SERVER      s3rver (default; in its own process, storing to disk) or rgw (Ceph RADOS Gateway
//                        on an in-memory OSD, a multi-threaded production S3; packages/testing startRgw;
//                        its memory run is off unless BENCH_S3_MEMORY_MIB is set, as the OSD keeps every object in RAM)
//   BENCH_S3_PIN=1       the server on CPU 0, the client on CPU 1 (taskset; ./placement.mjs): a model of a
//                        deployment where the S3 server's CPU is not the client's, for every client alike
// Each row also shows the CPU milliseconds the client and the server spent per MiB moved (medians).
// Goals: encrypted throughput ≥ 80% of the plain client (V3 with delayed authentication, framed),
// the parallel framed download ≥ 1.5× one plain GET stream; memory run peak RSS growth < 64 MiB.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { RawAesKeyProvider } from '@strongroom/core';
import { EncryptedS3Client } from '@strongroom/s3';
import { fmt, interleaved, loadAverage, median, table } from '../lib/measure.mjs';
import { checkPinning, CLIENT_CPU, ownCpuMs, pin, pinnedCommand, placementNote, processCpuMs, SERVER_CPU } from './placement.mjs';

const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_S3_MIB ?? 256) * MiB;
const TRIALS = Number(process.env.BENCH_TRIALS ?? 5);
const SERVER = process.env.BENCH_S3_SERVER ?? 's3rver';
const MEMORY_SIZE = Number(process.env.BENCH_S3_MEMORY_MIB ?? (SERVER === 'rgw' ? 0 : 1024)) * MiB;
const PART_SIZE = Number(process.env.BENCH_S3_PART_MIB ?? 8) * MiB;
const QUEUE_SIZE = Number(process.env.BENCH_S3_QUEUE ?? 2);
const CONCURRENCY = Number(process.env.BENCH_S3_CONCURRENCY ?? 4);
const BUFFERED_SIZE = 48 * MiB;
const Bucket = 'bench';

const LINK_MIBPS = Number(process.env.BENCH_S3_LINK_MIBPS ?? 0);

/** Start a child script (on `cpu` when pinning) that prints {"port":N} and stops when its stdin closes. */
async function startChild(script, args = [], cpu = SERVER_CPU) {
  const [command, argv] = pinnedCommand(cpu, process.execPath, [fileURLToPath(new URL(script, import.meta.url)), ...args]);
  const child = spawn(command, argv, { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = await once(createInterface({ input: child.stdout }), 'line');
  const { port } = JSON.parse(line);
  return { port, pids: () => [child.pid], stop: () => child.stdin.end() };
}

/** The S3 server of this run: { port, credentials, pids(), stop(), note }. */
async function startServer() {
  if (SERVER === 's3rver') {
    const child = await startChild('./s3rver-child.mjs');
    return { ...child, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, note: 's3rver in its own process on 127.0.0.1, storing to disk' };
  }
  if (SERVER !== 'rgw') throw new Error(`BENCH_S3_SERVER: s3rver or rgw, not ${SERVER}`);
  const { rgwUnavailable, startRgw } = await import('@strongroom/testing/servers');
  const why = rgwUnavailable();
  if (why) throw new Error(why);
  // The in-memory OSD holds every object written: the throughput objects and the memory run's.
  const memoryBytes = Math.max(2 * 1024 ** 3, 6 * SIZE + 3 * MEMORY_SIZE + 512 * MiB);
  const rgw = await startRgw({ memoryBytes });
  for (const pid of rgw.pids()) pin(pid, SERVER_CPU);
  const credentials = { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey };
  const admin = s3Client(rgw.port, credentials);
  await admin.send(new CreateBucketCommand({ Bucket }));
  admin.destroy();
  return {
    port: rgw.port,
    credentials,
    pids: () => rgw.pids(),
    stop: () => rgw.close(),
    note: `Ceph RGW (beast frontend, ${rgw.pids().length} daemons: monitor, memstore OSD, radosgw) on 127.0.0.1`,
  };
}

function s3Client(port, credentials) {
  return new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

const block = randomBytes(MiB);
/** A stream of `size` bytes from a repeated 1 MiB random block (cheap to produce). */
function source(size) {
  let sent = 0;
  return new Readable({
    highWaterMark: MiB,
    read() {
      if (sent >= size) return this.push(null);
      const n = Math.min(MiB, size - sent);
      sent += n;
      this.push(n === MiB ? block : block.subarray(0, n));
    },
  });
}

async function drain(body) {
  let n = 0;
  for await (const chunk of body) n += chunk.length;
  return n;
}

async function timed(fn) {
  const t = performance.now();
  const bytes = await fn();
  return { bps: bytes / ((performance.now() - t) / 1000), bytes };
}

const provider = () => RawAesKeyProvider({ namespace: 'bench', name: 'aes', key: Buffer.alloc(32, 1) });

/** CPU ms per MiB of each trial, by measurement name: [client, server]. */
const cpuPerMiB = new Map();

/**
 * A measurement returning bytes per second that also records the CPU the client (this process) and
 * the server (its processes, from /proc) spent on it per MiB.
 */
function cpuCounted(name, server, measure) {
  return async () => {
    const serverCpu = () => server.pids().reduce((sum, pid) => sum + processCpuMs(pid), 0);
    const c0 = ownCpuMs();
    const s0 = serverCpu();
    const { bps, bytes } = await measure();
    const c = ownCpuMs() - c0;
    const sv = serverCpu() - s0;
    const list = cpuPerMiB.get(name) ?? cpuPerMiB.set(name, []).get(name);
    list.push([c / (bytes / MiB), sv / (bytes / MiB)]);
    return bps;
  };
}

/** One row of the throughput table: name, MiB/s, ratio, goal, client and server CPU ms per MiB. */
function rows(results, plainName, target) {
  const plain = results.get(plainName);
  return [...results].map(([name, bps]) => {
    const ratio = bps / plain;
    const goal = name === plainName ? '' : target(name, ratio);
    const cpu = cpuPerMiB.get(name) ?? [];
    return [name, fmt(bps / MiB, 1), name === plainName ? '1.00×' : `${fmt(ratio, 2)}×`, goal, fmt(median(cpu.map((x) => x[0])), 2), fmt(median(cpu.map((x) => x[1])), 2)];
  });
}

const atLeast = (min) => (_name, ratio) => (ratio >= min ? `ok (≥ ${fmt(min * 100, 0)}%)` : `BELOW ${fmt(min * 100, 0)}%`);

async function throughput(port, server) {
  const plain = s3Client(port, server.credentials);
  const counted = (cases) => cases.map(([name, measure]) => [name, cpuCounted(name, server, measure)]);
  const v3 = new EncryptedS3Client({ client: plain, keyProvider: provider(), delayedAuthentication: true });
  const buffered = new EncryptedS3Client({ client: plain, keyProvider: provider() });
  const framed = new EncryptedS3Client({ client: plain, keyProvider: provider(), format: 'framed' });
  const plainUpload = (Key, size) => new Upload({ client: plain, params: { Bucket, Key, Body: source(size) }, partSize: PART_SIZE, queueSize: QUEUE_SIZE }).done();
  const get = (client, Key) => async () => drain((await client.send(new GetObjectCommand({ Bucket, Key }))).Body);

  const PLAIN_UP = 'plain S3Client, lib-storage Upload';
  const uploads = await interleaved(counted([
    [PLAIN_UP, () => timed(async () => (await plainUpload('plain', SIZE), SIZE))],
    ['EncryptedS3Client V3, upload()', () => timed(async () => (await v3.upload({ Bucket, Key: 'v3', Body: source(SIZE), partSize: PART_SIZE, queueSize: QUEUE_SIZE }).done(), SIZE))],
    ['EncryptedS3Client framed, upload(), queueSize 1', () => timed(async () => (await framed.upload({ Bucket, Key: 'framed-1', Body: source(SIZE), partSize: PART_SIZE, queueSize: 1 }).done(), SIZE))],
    [`EncryptedS3Client framed, upload(), queueSize ${QUEUE_SIZE}`, () => timed(async () => (await framed.upload({ Bucket, Key: 'framed', Body: source(SIZE), partSize: PART_SIZE, queueSize: QUEUE_SIZE }).done(), SIZE))],
  ]), TRIALS);

  const PLAIN_DOWN = 'plain S3Client, one GetObject stream';
  const PARALLEL = `EncryptedS3Client framed, download(), concurrency ${CONCURRENCY}`;
  const downloads = await interleaved(counted([
    [PLAIN_DOWN, () => timed(get(plain, 'plain'))],
    ['EncryptedS3Client V3, delayed authentication', () => timed(get(v3, 'v3'))],
    ['EncryptedS3Client framed, one GetObject stream', () => timed(get(framed, 'framed'))],
    [PARALLEL, () => timed(async () => drain((await framed.download({ Bucket, Key: 'framed', concurrency: CONCURRENCY, partSize: PART_SIZE })).Body))],
  ]), TRIALS);

  await plainUpload('plain-small', BUFFERED_SIZE);
  await buffered.upload({ Bucket, Key: 'v3-small', Body: source(BUFFERED_SIZE), partSize: PART_SIZE }).done();
  const PLAIN_SMALL = `plain S3Client, GetObject (${BUFFERED_SIZE / MiB} MiB)`;
  const small = await interleaved(counted([
    [PLAIN_SMALL, () => timed(get(plain, 'plain-small'))],
    [`EncryptedS3Client V3, buffered and verified before release (${BUFFERED_SIZE / MiB} MiB)`, () => timed(get(buffered, 'v3-small'))],
  ]), TRIALS);
  plain.destroy();

  console.log(`throughput, ${SIZE / MiB} MiB objects, partSize ${PART_SIZE / MiB} MiB, queueSize ${QUEUE_SIZE}, median of ${TRIALS} interleaved trials (MiB/s)`);
  const headers = ['operation', 'MiB/s', 'vs plain', 'goal', 'client CPU ms/MiB', 'server CPU ms/MiB'];
  // Goals: ≥ 80 % of the plain client in the same direction; the parallel framed download ≥ 1.5× one plain GET stream.
  const downGoal = (name, ratio) => (name === PARALLEL ? (ratio >= 1.5 ? 'ok (≥ 1.5×)' : 'BELOW 1.5×') : atLeast(0.8)(name, ratio));
  console.log(table(headers, [...rows(uploads, PLAIN_UP, atLeast(0.8)), ...rows(downloads, PLAIN_DOWN, downGoal), ...rows(small, PLAIN_SMALL, atLeast(0.8))]));
}

/** Child mode: one client, one object up and down, RSS sampled every 5 ms. */
async function memoryRun(port, kind) {
  const plain = s3Client(port, JSON.parse(process.env.BENCH_S3_CREDENTIALS));
  const enc = new EncryptedS3Client({ client: plain, keyProvider: provider(), ...(kind === 'framed' ? { format: 'framed' } : { delayedAuthentication: true }) });
  // framed: download() with concurrent ranged GETs; the others: one GetObject stream.
  const get = async (client, Key) =>
    kind === 'framed' ? (await enc.download({ Bucket, Key, concurrency: CONCURRENCY, partSize: PART_SIZE })).Body : (await client.send(new GetObjectCommand({ Bucket, Key }))).Body;
  // Warm up (lazy SDK modules, connections, JIT) with a small object, so the figure is the growth
  // caused by streaming the large object, not one-time start-up cost.
  const warmClient = kind === 'plain' ? plain : enc;
  const warm = kind === 'plain'
    ? new Upload({ client: plain, params: { Bucket, Key: 'warm', Body: source(2 * PART_SIZE) }, partSize: PART_SIZE, queueSize: QUEUE_SIZE })
    : enc.upload({ Bucket, Key: 'warm', Body: source(2 * PART_SIZE), partSize: PART_SIZE, queueSize: QUEUE_SIZE });
  await warm.done();
  await drain(await get(warmClient, 'warm'));
  globalThis.gc?.();
  await new Promise((r) => setTimeout(r, 100));
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  let events = 0;
  let lastLoaded = 0;
  const key = `mem-${kind}`;
  const t0 = performance.now();
  const up = kind === 'plain'
    ? new Upload({ client: plain, params: { Bucket, Key: key, Body: source(MEMORY_SIZE) }, partSize: PART_SIZE, queueSize: QUEUE_SIZE })
    : enc.upload({ Bucket, Key: key, Body: source(MEMORY_SIZE), partSize: PART_SIZE, queueSize: QUEUE_SIZE });
  up.on('httpUploadProgress', (p) => {
    events++;
    lastLoaded = p.loaded ?? lastLoaded;
  });
  await up.done();
  const t1 = performance.now();
  const peakUp = peak - base;
  const client = kind === 'plain' ? plain : enc;
  const n = await drain(await get(client, key));
  const t2 = performance.now();
  clearInterval(timer);
  plain.destroy();
  if (n !== MEMORY_SIZE) throw new Error(`downloaded ${n} bytes, expected ${MEMORY_SIZE}`);
  process.stdout.write(
    JSON.stringify({ kind, growth: peak - base, peakUp, events, lastLoaded, up: MEMORY_SIZE / ((t1 - t0) / 1000), down: MEMORY_SIZE / ((t2 - t1) / 1000) }) + '\n',
  );
}

async function memory(port, server) {
  const run = async (kind) => {
    const [command, argv] = pinnedCommand(CLIENT_CPU, process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--memory-child', String(port), kind]);
    const child = spawn(command, argv, {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, BENCH_S3_CREDENTIALS: JSON.stringify(server.credentials) },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const [code] = await once(child, 'close');
    if (code !== 0) throw new Error(`memory run (${kind}) failed`);
    return JSON.parse(out.trim().split('\n').at(-1));
  };
  const plain = await run('plain');
  const enc = await run('encrypted');
  const framed = await run('framed');
  console.log(`\nmemory run: ${MEMORY_SIZE / MiB} MiB object up and down, one process per client, peak RSS growth over the run (partSize ${PART_SIZE / MiB} MiB, queueSize ${QUEUE_SIZE}; framed download: concurrency ${CONCURRENCY})`);
  console.log(
    table(
      ['client', 'peak RSS growth (MiB)', 'progress events', 'last loaded', 'up MiB/s', 'down MiB/s'],
      [plain, enc, framed].map((r) => [r.kind, fmt(r.growth / MiB, 1), r.events, r.lastLoaded, fmt(r.up / MiB, 1), fmt(r.down / MiB, 1)]),
    ),
  );
  const ok = [enc, framed].every((r) => r.growth < 64 * MiB && r.lastLoaded === MEMORY_SIZE && r.events > 0);
  console.log(ok ? 'memory target (< 64 MiB growth, progress to 100%): ok' : 'memory target: FAILED');
  return ok;
}

if (process.argv[2] === '--memory-child') {
  await memoryRun(Number(process.argv[3]), process.argv[4]);
} else {
  checkPinning();
  pin(process.pid, CLIENT_CPU);
  const server = await startServer();
  console.log(`node bench/s3/run.mjs — ${new Date().toISOString()}, Node ${process.versions.node}, ${server.note}`);
  console.log(placementNote(SERVER === 'rgw' ? 'every Ceph daemon' : 's3rver') + (LINK_MIBPS > 0 && process.env.BENCH_S3_PIN === '1' ? ' (the link relay with the server)' : ''));
  console.log(`before: ${loadAverage()}`);
  const link = LINK_MIBPS > 0 ? await startChild('./link-child.mjs', [String(server.port), String(LINK_MIBPS)]) : undefined;
  if (link) console.log(`link model: every connection capped at ${LINK_MIBPS} MiB/s each way (bench/s3/link-child.mjs), for every client alike`);
  let ok = true;
  try {
    await throughput(link ? link.port : server.port, server);
    console.log(`after the throughput runs: ${loadAverage()}`);
    if (MEMORY_SIZE > 0) ok = await memory(server.port, server);
  } finally {
    link?.stop();
    await server.stop();
  }
  console.log(`after: ${loadAverage()}`);
  process.exit(ok ? 0 : 1);
}
