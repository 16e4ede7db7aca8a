// bench/core/pool-ceiling.mjs — what any worker pool on node:crypto can reach for ONE stream on this
// machine, measured beside Strongroom's: the frames of a 64 MiB message (64 KiB, AES-256-GCM, one
// cipher per frame with its own IV and AAD, as the message format needs) sealed
//   - on one thread (raw frames: the in-process ceiling of a one-thread stream),
//   - by the same loop in 2 processes side by side over one shared time window (the sum): what the
//     machine's cores give node:crypto with nothing shared — no pool inside one process can beat it,
//   - by a bare pool of N `worker_threads` with nothing but the work: the calling thread copies 8 frames
//     at a time into a buffer of the pool's own and *transfers* it (no structured clone); the worker
//     seals each frame and transfers node:crypto's output buffers back as they are (no copy out); the
//     calling thread takes the batches back in order and drops them; at most 2 × N batches in flight,
//   - by the same pool with the results copied into a reused output buffer in the worker and copied out
//     of it on the calling thread (the design Strongroom's pool had before 2026-12-02),
//   - by the same pool with workers that only send the batch back (the transport alone),
//   - by Strongroom's encryptStream, one thread and with a pool of N (the product, in the same rounds),
// with and without glibc told to keep freed memory mapped (GLIBC_TUNABLES), and `openssl speed` (one
// process and `-multi 2`) in the same interleaved rounds. Each contender runs in a process of its own
// and also reports the process's CPU time (user + system, every thread) per MiB, so where the time goes
// is printed beside the rate.
// Run: npm run build && node bench/core/pool-ceiling.mjs
// Env: BENCH_TRIALS (5), BENCH_STREAM_MIB (64), BENCH_POOL_SIZES (1,2), BENCH_WINDOW_MS (1500), BENCH_FRAME_LENGTH (65536)
import * as crypto from 'node:crypto';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createClient, createWorkerPool } from '@strongroom/core';
import { benchKeyProvider } from '../lib/strongroom.mjs';
import { fmt, interleavedRounds, loadAverage, median, roundRatio, table } from '../lib/measure.mjs';
import { opensslGcmRate } from '../lib/openssl.mjs';

const FRAME = Number(process.env.BENCH_FRAME_LENGTH ?? 64 * 1024);
const BATCH = Math.max(FRAME, 512 * 1024);
const BATCH_FRAMES = BATCH / FRAME;
const TAG = 16;
const key = Buffer.alloc(32, 7);
const STREAM_MIB_LABEL = `${process.env.BENCH_STREAM_MIB ?? 64} MiB`;

/** Seal frame `seq` of `data` (a view): one cipher, its IV and AAD derived from the sequence number, as a framed message does. */
function sealFrame(data, seq, out) {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(seq, 8);
  const aad = Buffer.alloc(32);
  aad.writeUInt32BE(seq, 16);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = cipher.update(data);
  cipher.final();
  out.push(body, cipher.getAuthTag());
}

if (!isMainThread) {
  // A worker: seal every frame of the batch, send node:crypto's buffers back as they are (transferred) with the input buffer for reuse.
  parentPort.on('message', ({ id, input, output, firstSeq, kind }) => {
    if (kind === 'echo') return parentPort.postMessage({ id, input, out: [] }, [input]);
    const out = [];
    const view = new Uint8Array(input);
    for (let f = 0; f < BATCH_FRAMES; f++) sealFrame(view.subarray(f * FRAME, (f + 1) * FRAME), firstSeq + f, out);
    if (kind === 'copy') {
      const into = new Uint8Array(output);
      let at = 0;
      for (const b of out) {
        into.set(b, at);
        at += b.length;
      }
      return parentPort.postMessage({ id, input, output, length: at }, [input, output]);
    }
    const buffers = out.map((b) => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
    parentPort.postMessage({ id, input, out: buffers }, [input, ...buffers]);
  });
} else if (process.env.BENCH_CEILING_CHILD) {
  const STREAM_MIB = Number(process.env.BENCH_STREAM_MIB ?? 64);
  const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 1500);
  const source = Array.from({ length: STREAM_MIB }, () => crypto.randomBytes(2 ** 20));
  const [kind, size] = process.env.BENCH_CEILING_CHILD.split(':');
  const n = Number(size ?? 1);

  // A turn of the event loop after each 1 MiB chunk, as a stream gives one between chunks (and as
  // bench/core/run.mjs's raw frames do): a loop that never yields keeps Node from finishing its
  // garbage collection work.
  const oneThread = async () => {
    let seq = 0;
    let bytes = 0;
    for (const chunk of source) {
      for (let o = 0; o < chunk.length; o += FRAME) {
        const out = [];
        sealFrame(chunk.subarray(o, o + FRAME), seq++, out);
        bytes += out[0].length + out[1].length;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    return bytes;
  };

  const workers = kind === 'one' || kind === 'client' ? [] : Array.from({ length: n }, () => new Worker(fileURLToPath(import.meta.url)));
  const spare = [];
  const spareOut = [];
  const pooled = () =>
    new Promise((resolve) => {
      const total = source.length * (2 ** 20 / BATCH);
      const done = new Map();
      let sent = 0;
      let released = 0;
      let bytes = 0;
      const send = () => {
        while (sent < total && sent - released < 2 * n) {
          const input = spare.pop() ?? new ArrayBuffer(BATCH);
          const output = kind === 'copy' ? (spareOut.pop() ?? new ArrayBuffer(BATCH + TAG * BATCH_FRAMES)) : undefined;
          const chunk = source[Math.floor((sent * BATCH) / 2 ** 20)];
          const at = (sent * BATCH) % 2 ** 20;
          new Uint8Array(input).set(chunk.subarray(at, at + BATCH));
          workers[sent % n].postMessage({ id: sent, input, firstSeq: sent * BATCH_FRAMES, kind, output }, output ? [input, output] : [input]);
          sent++;
        }
      };
      const onMessage = ({ id, input, out, output, length }) => {
        spare.push(input);
        done.set(id, out ?? { output, length });
        while (done.has(released)) {
          const result = done.get(released);
          if (Array.isArray(result)) for (const b of result) bytes += b.byteLength;
          else {
            // Released as a buffer of the consumer's own (the reused output goes back to the pool).
            const mine = Buffer.allocUnsafe(result.length);
            mine.set(new Uint8Array(result.output, 0, result.length));
            bytes += mine.length;
            spareOut.push(result.output);
          }
          done.delete(released++);
        }
        if (released === total) {
          for (const w of workers) w.off('message', onMessage);
          resolve(bytes);
        } else send();
      };
      for (const w of workers) w.on('message', onMessage);
      send();
    });

  // Strongroom itself, the same bytes through encryptStream (64 KiB frames, the default): one thread, or a pool of n.
  const pool = kind === 'client' && n > 0 ? createWorkerPool({ size: n }) : undefined;
  const client = kind === 'client' ? createClient({ keyProvider: benchKeyProvider(key), pool }) : undefined;
  const strongroom = () => pipeline(Readable.from(source), client.encryptStream({ encryptionContext: { tenant: 'bench' } }), new Writable({ write: (_c, _e, cb) => cb() }));

  const run = kind === 'one' ? oneThread : kind === 'client' ? strongroom : pooled;
  for (let i = 0; i < 2; i++) await run();
  // The timed window starts at BENCH_CEILING_START (epoch ms), the same instant for processes run side by side.
  const start = Number(process.env.BENCH_CEILING_START ?? Date.now());
  while (Date.now() < start) await new Promise((r) => setTimeout(r, 1));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let passes = 0;
  while (performance.now() - t0 < WINDOW_MS) {
    await run();
    passes++;
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  for (const w of workers) await w.terminate();
  await pool?.close();
  // Last line: MiB/s over the window, then the process's CPU ms per MiB (all threads).
  console.log(`${(passes * STREAM_MIB * 1000) / ms} ${(cpu.user + cpu.system) / 1000 / (passes * STREAM_MIB)}`);
} else {
  const TRIALS = Number(process.env.BENCH_TRIALS ?? 5);
  const SIZES = (process.env.BENCH_POOL_SIZES ?? '1,2').split(',').map(Number);
  const TUNED = 'glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=268435456';
  const cpuMs = new Map();
  /** Run contender `name` in `count` processes side by side over one shared window; the sum of their MiB/s. */
  const children = async (name, tuned, count) => {
    const label = `${count > 1 ? `${count} processes × ` : ''}${name}${tuned ? ', malloc tuned' : ''}`;
    const env = { ...process.env, BENCH_CEILING_CHILD: name, BENCH_CEILING_START: String(Date.now() + 2500), ...(tuned ? { GLIBC_TUNABLES: TUNED } : {}) };
    const one = () =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('close', (status) => {
          const [rate, cpu] = out.trim().split('\n').at(-1).split(' ').map(Number);
          if (status !== 0 || !Number.isFinite(rate)) reject(new Error(`${label}: the child failed (status ${status}): ${err.slice(-500)}`));
          else resolve([rate, cpu]);
        });
      });
    const results = await Promise.all(Array.from({ length: count }, one));
    if (!cpuMs.has(label)) cpuMs.set(label, []);
    cpuMs.get(label).push(median(results.map(([, cpu]) => cpu)));
    return results.reduce((sum, [rate]) => sum + rate, 0);
  };
  const contenders = [
    ['one', 1, 'raw frames, one thread'],
    ['one', 2, 'raw frames, one thread, 2 processes side by side (sum)'],
    ...SIZES.map((size) => [`pool:${size}`, 1, `bare pool of ${size} (zero-copy out)`]),
    ...SIZES.filter((size) => size > 1).map((size) => [`copy:${size}`, 1, `bare pool of ${size}, results copied out of a reused buffer`]),
    ...SIZES.filter((size) => size > 1).map((size) => [`echo:${size}`, 1, `transport only, pool of ${size}`]),
    ['client:0', 1, 'Strongroom encryptStream, one thread'],
    ...SIZES.filter((size) => size > 1).map((size) => [`client:${size}`, 1, `Strongroom encryptStream, pool of ${size}`]),
  ];
  const label = (name, count, tuned) => `${count > 1 ? `${count} processes × ` : ''}${name}${tuned ? ', malloc tuned' : ''}`;
  console.log(`bench/core/pool-ceiling — node ${process.version}, OpenSSL ${process.versions.openssl}; ${TRIALS} interleaved rounds; ${FRAME / 1024} KiB frames, batches of ${BATCH_FRAMES}`);
  console.log(`before: ${loadAverage()}\n`);
  const rounds = await interleavedRounds(
    [
      ...contenders.flatMap(([name, count]) => [false, true].map((tuned) => [label(name, count, tuned), () => children(name, tuned, count)])),
      ['openssl', async () => opensslGcmRate(1) ?? Number.NaN],
      ['openssl, 2 processes', async () => opensslGcmRate(1, 2) ?? Number.NaN],
    ],
    TRIALS,
  );
  const rows = [];
  for (const [name, count, what] of contenders) {
    for (const tuned of [false, true]) {
      const key = label(name, count, tuned);
      const base = label('one', 1, tuned);
      rows.push([
        what + (tuned ? ', malloc tuned' : ''),
        fmt(median(rounds.get(key))),
        fmt(median(cpuMs.get(key)), 2),
        key === base ? '' : fmt(roundRatio(rounds, key, base), 2) + '×',
        fmt(roundRatio(rounds, key, 'openssl'), 2) + '×',
      ]);
    }
  }
  console.log(table([`${STREAM_MIB_LABEL} sealed as ${FRAME / 1024} KiB frames`, 'MiB/s', 'CPU ms per MiB (all threads)', '/ one thread (same malloc)', '/ openssl speed (1 core)'], rows));
  const ssl1 = median(rounds.get('openssl'));
  const ssl2 = median(rounds.get('openssl, 2 processes'));
  console.log(`openssl speed -evp aes-256-gcm, 16 KiB blocks: 1 core ${fmt(ssl1)} MiB/s; -multi 2 ${fmt(ssl2)} MiB/s (${fmt(roundRatio(rounds, 'openssl, 2 processes', 'openssl'), 2)}×)`);
  if (process.env.BENCH_VERBOSE) for (const [name, v] of rounds) console.error(name.padEnd(48), v.map((x) => fmt(x)).join(' '));
  console.log(`\nafter: ${loadAverage()}`);
}
