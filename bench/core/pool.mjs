// bench/core/pool.mjs — the worker pool (createWorkerPool) against the one-thread client and
// `openssl speed`, in one run: interleaved rounds (each round measures every contender once, the
// openssl rates included), medians, with the load average before and after.
//   64 MiB streamed (default settings, 64 KiB frames): pool of 2 vs one thread vs OpenSSL single-core
//   AES-256-GCM at 16 KiB blocks. Goals: pool ≥ 1.0× OpenSSL, pool ≥ 1.6× one thread.
//   0x0578 (signed) 1 KiB messages, many concurrent encrypt calls, cached data key: pool of 2 vs one
//   thread (goal ≥ 1.6×), one thread vs `openssl speed ecdsap384` signs/s (goal ≥ 90 %), with bare
//   node:crypto signatures of a message's size as the in-process ceiling.
// Run: npm run build && node bench/core/pool.mjs   (BENCH_VERBOSE=1 prints every round)
// Env: BENCH_TRIALS (7), BENCH_STREAM_MIB (64), BENCH_TRIAL_MS (1000), BENCH_POOL_SIZE (2), BENCH_CONCURRENCY (32),
// BENCH_ONLY ('stream' or 'signed': one of the two parts)
import * as crypto from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createClient, createWorkerPool } from '@strongroom/core';
import { fmt, interleavedRounds, loadAverage, median, numberFromChild, roundRatio, table, warmedMedian } from '../lib/measure.mjs';
import { opensslGcmRate, opensslP384SignRate } from '../lib/openssl.mjs';
import { benchKeyProvider, cachedClient } from '../lib/strongroom.mjs';

const TRIALS = Number(process.env.BENCH_TRIALS ?? 7);
const STREAM_MIB = Number(process.env.BENCH_STREAM_MIB ?? 64);
const TRIAL_MS = Number(process.env.BENCH_TRIAL_MS ?? 1000);
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? 2);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

const keyProvider = benchKeyProvider(crypto.randomBytes(32));
const context = { tenant: 'bench' };
const pool = createWorkerPool({ size: POOL_SIZE });
const sink = () => new Writable({ write(_c, _e, cb) { cb(); } });
const CHILD = process.env.BENCH_POOL_CHILD;
const ONLY = process.env.BENCH_ONLY;
const chunks = CHILD?.startsWith('signed') || ONLY === 'signed' ? [] : Array.from({ length: STREAM_MIB }, () => crypto.randomBytes(2 ** 20));

async function collect(stream) {
  const out = [];
  await pipeline(stream, new Writable({ write(c, _e, cb) { out.push(c); cb(); } }));
  return Buffer.concat(out);
}

/** MiB/s of one run of `run`. */
async function mibps(run) {
  const start = performance.now();
  await run();
  return (STREAM_MIB * 1000) / (performance.now() - start);
}

/** Messages/s of `op` kept `CONCURRENCY` deep for TRIAL_MS. */
async function concurrentRate(op) {
  let done = 0;
  const start = performance.now();
  const end = start + TRIAL_MS;
  const lane = async () => {
    while (performance.now() < end) {
      await op();
      done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return (done * 1000) / (performance.now() - start);
}

// --- 64 MiB streamed --------------------------------------------------------------------------
// Each streamed contender runs in a process of its own (BENCH_POOL_CHILD=name): two warm-up passes,
// then the median of three timed ones. In one shared process a contender's rate depended on the
// garbage of the one before it (bench/core/run.mjs saw a 5× swing), which is not its own cost.
const STREAM_CONTENDERS = ['one thread encrypt', 'pool encrypt', 'one thread decrypt', 'pool decrypt'];
async function streamContender(name) {
  const oneThread = createClient({ keyProvider });
  const client = name.startsWith('pool') ? createClient({ keyProvider, pool }) : oneThread;
  const message = name.endsWith('decrypt') ? await collect(oneThread.encryptStream(Readable.from(chunks), { encryptionContext: context })) : undefined;
  const run = name.endsWith('encrypt')
    ? () => pipeline(Readable.from(chunks), client.encryptStream({ encryptionContext: context }), sink())
    : () => pipeline(Readable.from([message]), client.decryptStream(), sink());
  return warmedMedian(run, mibps);
}
const inChild = (name) => numberFromChild(import.meta.url, { BENCH_POOL_CHILD: name }, name);
// The same contenders with glibc's malloc told to keep freed memory (GLIBC_TUNABLES, read at process
// start: https://www.gnu.org/software/libc/manual/html_node/Memory-Allocation-Tunables.html). By
// default glibc hands memory above the trim threshold back to the kernel and maps buffers from 128 KiB
// up fresh, so the next buffers fault their pages in again; on this VM a first touch costs ≈ 1 ms/MiB,
// and the pool's worker threads (each with an arena of its own) pay it on every frame node:crypto
// returns. Shown as a peer, not applied: a library cannot set it for its host process.
const TUNED_MALLOC = 'glibc.malloc.mmap_threshold=4194304:glibc.malloc.trim_threshold=268435456';
const inTunedChild = (name) => numberFromChild(import.meta.url, { BENCH_POOL_CHILD: name, GLIBC_TUNABLES: TUNED_MALLOC }, `${name} (malloc tuned)`);

// --- 0x0578 signed 1 KiB, many concurrent calls: contenders ------------------------------------
// Also each in a process of its own (the one-thread signer shared its process with the streamed
// rounds' garbage before, and read 58–93 % of OpenSSL in runs minutes apart): a warm-up window, then
// the median of three, every contender through the same `concurrentRate`. The peer "node:crypto sign"
// is the in-process ceiling: one bare `createSign('sha384')` signature over a message's worth of bytes
// (a signed 1 KiB message is ≈ 1.3 KiB before its footer) with a P-384 key per call: what node:crypto
// itself reaches with nothing of a message around the signature.
const kib = crypto.randomBytes(1024);
const SIGNED_CONTENDERS = ['signed one thread', 'signed pool', 'signed node:crypto sign'];
function signedOp(name) {
  if (name === 'signed node:crypto sign') {
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const message = crypto.randomBytes(1330);
    return async () => crypto.createSign('sha384').update(message).sign(privateKey);
  }
  const client = cachedClient(keyProvider, 0x0578, name === 'signed pool' ? { pool } : {});
  return () => client.encrypt(kib, { encryptionContext: context });
}
async function signedContender(name) {
  const op = signedOp(name);
  await concurrentRate(op);
  return median([await concurrentRate(op), await concurrentRate(op), await concurrentRate(op)]);
}

if (CHILD) {
  console.log(CHILD.startsWith('signed') ? await signedContender(CHILD) : await streamContender(CHILD));
  await pool.close();
  process.exit(0);
}

console.log(`bench/core/pool — node ${process.version}, OpenSSL ${process.versions.openssl}; pool of ${POOL_SIZE}; ${TRIALS} interleaved rounds (rates: medians; ratios: medians of the per-round ratios)`);
console.log(`before: ${loadAverage()}\n`);

if (ONLY !== 'signed') await streamPart();
if (ONLY !== 'stream') await signedPart();
console.log(`\nafter: ${loadAverage()}`);
await pool.close();

async function streamPart() {
  // Correctness before speed: each decrypts the other's message.
  const oneThread = createClient({ keyProvider });
  const pooled = createClient({ keyProvider, pool });
  const message = await collect(oneThread.encryptStream(Readable.from(chunks), { encryptionContext: context }));
  const check = await collect(pooled.decryptStream(Readable.from([message])));
  const back = await collect(oneThread.decryptStream(Readable.from([await collect(pooled.encryptStream(Readable.from(chunks)))])));
  if (!check.equals(Buffer.concat(chunks)) || !back.equals(Buffer.concat(chunks))) throw new Error('pool round trip mismatch');

  const stream = await interleavedRounds(
    [
      ...STREAM_CONTENDERS.map((name) => [name, () => inChild(name)]),
      ...STREAM_CONTENDERS.map((name) => [`${name}, malloc tuned`, () => inTunedChild(name)]),
      ['openssl', () => opensslGcmRate(1) ?? Number.NaN],
    ],
    TRIALS,
  );
  const openssl = median(stream.get('openssl'));
  console.log(`${STREAM_MIB} MiB streamed, frame length 64 KiB (default), MiB/s:`);
  console.log(
    table(
      ['', 'one thread', `pool of ${POOL_SIZE}`, 'pool / one thread (goal ≥ 1.6×)', 'openssl speed -evp aes-256-gcm (16 KiB, 1 core)', 'pool / OpenSSL (goal ≥ 1.0×)'],
      ['encrypt', 'decrypt'].map((op) => [
        op,
        fmt(median(stream.get(`one thread ${op}`))),
        fmt(median(stream.get(`pool ${op}`))),
        fmt(roundRatio(stream, `pool ${op}`, `one thread ${op}`), 2) + '×',
        fmt(openssl),
        fmt(roundRatio(stream, `pool ${op}`, 'openssl'), 2) + '×',
      ]),
    ),
  );
  console.log(`The same with GLIBC_TUNABLES=${TUNED_MALLOC} (glibc keeps freed memory mapped), MiB/s:`);
  console.log(
    table(
      ['', 'one thread', `pool of ${POOL_SIZE}`, 'pool / one thread', 'pool tuned / pool default', 'one thread tuned / default'],
      ['encrypt', 'decrypt'].map((op) => [
        op,
        fmt(median(stream.get(`one thread ${op}, malloc tuned`))),
        fmt(median(stream.get(`pool ${op}, malloc tuned`))),
        fmt(roundRatio(stream, `pool ${op}, malloc tuned`, `one thread ${op}, malloc tuned`), 2) + '×',
        fmt(roundRatio(stream, `pool ${op}, malloc tuned`, `pool ${op}`), 2) + '×',
        fmt(roundRatio(stream, `one thread ${op}, malloc tuned`, `one thread ${op}`), 2) + '×',
      ]),
    ),
  );
  if (process.env.BENCH_VERBOSE) for (const [name, v] of stream) console.error(name.padEnd(20), v.map((x) => fmt(x)).join(' '));
}

// --- 0x0578 signed 1 KiB, many concurrent calls ---------------------------------------------
async function signedPart() {
  await createClient({ keyProvider }).decrypt((await cachedClient(keyProvider, 0x0578, { pool }).encrypt(kib, { encryptionContext: context })).ciphertext);
  const signed = await interleavedRounds(
    [
      ...SIGNED_CONTENDERS.map((name) => [name, () => inChild(name)]),
      ['openssl', async () => opensslP384SignRate(1) ?? Number.NaN],
    ],
    TRIALS,
  );
  const signedRate = (name) => median(signed.get(name));
  console.log(`\n0x0578 (ECDSA P-384) 1 KiB encrypt, cached data key, ${CONCURRENCY} calls in flight, messages/s (each contender in a process of its own):`);
  console.log(
    table(
      ['one thread', `pool of ${POOL_SIZE}`, 'pool / one thread (goal ≥ 1.6×)', 'openssl speed ecdsap384 sign/s (1 core)', 'one thread / OpenSSL (goal ≥ 90 %)', 'node:crypto sign/s, 1.3 KiB (1 thread)', 'node:crypto sign / OpenSSL', 'one thread / node:crypto sign'],
      [
        [
          fmt(signedRate('signed one thread')),
          fmt(signedRate('signed pool')),
          fmt(roundRatio(signed, 'signed pool', 'signed one thread'), 2) + '×',
          fmt(signedRate('openssl')),
          fmt(100 * roundRatio(signed, 'signed one thread', 'openssl')) + ' %',
          fmt(signedRate('signed node:crypto sign')),
          fmt(100 * roundRatio(signed, 'signed node:crypto sign', 'openssl')) + ' %',
          fmt(100 * roundRatio(signed, 'signed one thread', 'signed node:crypto sign')) + ' %',
        ],
      ],
    ),
  );
  if (process.env.BENCH_VERBOSE) for (const [name, v] of signed) console.error(name.padEnd(24), v.map((x) => fmt(x)).join(' '));
}
