// bench/core/instructions.mjs — instructions per operation, counted by valgrind's callgrind: a
// figure the VM's speed drift does not move (the rate benchmarks in this folder swing 2–3× within a
// minute on the 2-core development VM). It still varies between runs, because garbage collection
// comes in lumps that fall inside one window and not the other: a few percent for Strongroom, up to
// a fifth for the ESDK with the default 400-operation window (widen it with BENCH_N2). It complements
// the rate benchmarks, it does not replace them: equal instruction counts can still take different
// times (cache misses, the other threads, the CPU's clock).
//
// Each Node case runs in a fresh `valgrind --tool=callgrind node …` process twice, with the same
// warm-up and N1 or N2 operations after it; (instructions of the N2 run − of the N1 run) / (N2 − N1)
// is the cost of one operation, start-up, warm-up and JIT compilation cancelled (every thread is
// counted: V8's garbage collector and compiler threads too). OpenSSL's own figure is read from one
// callgrind run of `openssl speed ecdsap384`: the inclusive instructions of its EVP_PKEY_sign calls
// divided by their number.
//
//   1 KiB, cached data key, suite 0x0478: Strongroom encrypt / decrypt vs @aws-crypto/client-node's
//     (its caching materials manager, set up by bench/lib/esdk.mjs as for bench/core/run.mjs) and vs one raw
//     node:crypto AES-256-GCM of 1 KiB.
//   1 KiB, suite 0x0478: the format's floor on node:crypto (bench/lib/format-floor.mjs), encrypt and decrypt:
//     the ESDK's count over it bounds the ratio any implementation on node:crypto could reach.
//   1 KiB, cached data key, suite 0x0578 (ECDSA P-384): Strongroom encrypt vs one node:crypto
//     `sign('sha384', …)` of the same bytes and vs one signature of `openssl speed ecdsap384`.
//
// Run: npm run build && node bench/core/instructions.mjs   (needs valgrind; a few minutes)
// Env: BENCH_N1 (200), BENCH_N2 (600), BENCH_WARMUP (500), BENCH_CASES (comma list of case names)
import * as crypto from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatFloor } from '../lib/format-floor.mjs';
import { fmt, table } from '../lib/measure.mjs';

const N1 = Number(process.env.BENCH_N1 ?? 200);
const N2 = Number(process.env.BENCH_N2 ?? 600);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 500);

/** Each case: set-up once, then a function that runs one operation. */
const CASES = {
  'strongroom encrypt 0x0478': async () => {
    const { client, kib, context } = await strongroom(0x0478);
    return () => client.encrypt(kib, { encryptionContext: context });
  },
  'strongroom decrypt 0x0478': async () => {
    const { client, kib, context } = await strongroom(0x0478);
    const { ciphertext } = await client.encrypt(kib, { encryptionContext: context });
    return () => client.decrypt(ciphertext);
  },
  'esdk encrypt 0x0478': async () => {
    const { esdk, cmm, kib, context, suiteId } = await esdkClient(0x0478);
    return () => esdk.encrypt(cmm, kib, { suiteId, encryptionContext: context, plaintextLength: 1024 });
  },
  'esdk decrypt 0x0478': async () => {
    const { esdk, cmm, kib, context, suiteId } = await esdkClient(0x0478);
    const { result } = await esdk.encrypt(cmm, kib, { suiteId, encryptionContext: context, plaintextLength: 1024 });
    return () => esdk.decrypt(cmm, result);
  },
  'raw node:crypto GCM 1 KiB': async () => {
    const key = crypto.randomBytes(32);
    const kib = crypto.randomBytes(1024);
    return () => {
      const c = crypto.createCipheriv('aes-256-gcm', key, crypto.randomBytes(12));
      c.update(kib);
      c.final();
      c.getAuthTag();
    };
  },
  // The calls no implementation of the format on node:crypto can avoid (bench/lib/format-floor.mjs).
  'format floor encrypt 0x0478': async () => formatFloor().encrypt,
  'format floor decrypt 0x0478': async () => formatFloor().decrypt,
  'strongroom encrypt 0x0578': async () => {
    const { client, kib, context } = await strongroom(0x0578);
    return () => client.encrypt(kib, { encryptionContext: context });
  },
  'node:crypto sign P-384': async () => {
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    // What a signed 1 KiB message signs: its header, the frame and the tags (≈ 1.3 KiB).
    const signed = crypto.randomBytes(1300);
    return () => crypto.sign('sha384', signed, privateKey);
  },
};

async function strongroom(suite) {
  const { benchKeyProvider, cachedClient } = await import('../lib/strongroom.mjs');
  const client = cachedClient(benchKeyProvider(crypto.randomBytes(32)), suite);
  return { client, kib: crypto.randomBytes(1024), context: { tenant: 'bench' } };
}

async function esdkClient(suite) {
  const { esdkPeer, ESDK_SUITE } = await import('../lib/esdk.mjs');
  const { esdk, cachingCmm } = esdkPeer(crypto.randomBytes(32));
  return { esdk, cmm: cachingCmm(), kib: crypto.randomBytes(1024), context: { tenant: 'bench' }, suiteId: ESDK_SUITE[suite] };
}

// --- child: warm up, then run n operations one after another --------------------------------------
if (process.env.BENCH_INSTRUCTIONS_CHILD) {
  const op = await CASES[process.env.BENCH_INSTRUCTIONS_CHILD]();
  for (let i = 0; i < WARMUP; i++) await op();
  const n = Number(process.env.BENCH_INSTRUCTIONS_N);
  for (let i = 0; i < n; i++) await op();
  process.exit(0);
}

// --- parent ----------------------------------------------------------------------------------------
const valgrind = spawnSync('valgrind', ['--version'], { encoding: 'utf8' });
if (valgrind.status !== 0) {
  console.log('bench/core/instructions: valgrind is not installed (apt-get install valgrind); nothing measured');
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'strongroom-instructions-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Instructions callgrind counted for one child run (every thread), from its summary line. */
function countNode(name, n) {
  const out = join(dir, `callgrind.${n}`);
  const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath, fileURLToPath(import.meta.url)], {
    env: { ...process.env, BENCH_INSTRUCTIONS_CHILD: name, BENCH_INSTRUCTIONS_N: String(n) },
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const m = /Collected : (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`${name}: the callgrind run exited ${r.status}\n${r.stderr.slice(-2000)}`);
  rmSync(out, { force: true });
  return Number(m[1]);
}

/**
 * OpenSSL's instructions per ECDSA P-384 signature: the inclusive cost of every call to EVP_PKEY_sign
 * in one callgrind run of `openssl speed ecdsap384` (callgrind's file format: a `cfn=` line names
 * the callee, `calls=<count> …` follows, then a line whose last number is the calls' inclusive cost).
 */
function opensslSign() {
  const out = join(dir, 'callgrind.openssl');
  execFileSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, 'openssl', 'speed', '-seconds', '1', 'ecdsap384'], { stdio: 'ignore' });
  const lines = readFileSync(out, 'utf8').split('\n');
  const id = lines.map((l) => /^c?fn=(\(\d+\)) EVP_PKEY_sign$/.exec(l)).find(Boolean)?.[1];
  if (!id) throw new Error('openssl: no EVP_PKEY_sign in the callgrind profile');
  let calls = 0;
  let cost = 0;
  for (let i = 0; i < lines.length - 2; i++) {
    if (lines[i] !== `cfn=${id}` && !lines[i].startsWith(`cfn=${id} `)) continue;
    const c = /^calls=(\d+)/.exec(lines[i + 1]);
    if (!c) continue;
    calls += Number(c[1]);
    cost += Number(lines[i + 2].trim().split(/\s+/).at(-1));
  }
  return { perOp: cost / calls, calls };
}

const only = process.env.BENCH_CASES?.split(',').map((s) => s.trim());
const names = Object.keys(CASES).filter((n) => !only || only.includes(n));
console.log(`bench/core/instructions — node ${process.version}, OpenSSL ${process.versions.openssl}; callgrind, (count at ${N2} − count at ${N1}) / ${N2 - N1} after ${WARMUP} warm-up operations`);
const perOp = new Map();
for (const name of names) {
  const a = countNode(name, N1);
  const b = countNode(name, N2);
  perOp.set(name, (b - a) / (N2 - N1));
  console.log(`  ${name.padEnd(28)} ${fmt(perOp.get(name))} instructions per operation`);
}
let openssl;
if (!only || only.includes('openssl')) {
  openssl = opensslSign();
  console.log(`  ${'openssl speed ecdsap384'.padEnd(28)} ${fmt(openssl.perOp)} instructions per signature (${openssl.calls} EVP_PKEY_sign calls)`);
}

const count = (name) => (name === 'openssl' ? openssl?.perOp : perOp.get(name)) ?? Number.NaN;
console.log("\nwork ratios (the peer's instructions per operation / Strongroom's: above 1, Strongroom does less):");
console.log(
  table(
    ['figure', 'Strongroom', 'peer', 'peer / Strongroom'],
    [
      ['1 KiB encrypt, cached, 0x0478, vs the ESDK (goal ≥ 10× in rate)', 'strongroom encrypt 0x0478', 'esdk encrypt 0x0478'],
      ['1 KiB decrypt, cached, 0x0478, vs the ESDK', 'strongroom decrypt 0x0478', 'esdk decrypt 0x0478'],
      ['1 KiB encrypt, cached, 0x0478, vs one raw GCM of 1 KiB', 'strongroom encrypt 0x0478', 'raw node:crypto GCM 1 KiB'],
      ["1 KiB encrypt, 0x0478: the format's node:crypto floor vs Strongroom", 'strongroom encrypt 0x0478', 'format floor encrypt 0x0478'],
      ["1 KiB encrypt, 0x0478: the ESDK vs the floor (the highest ratio reachable on node:crypto)", 'format floor encrypt 0x0478', 'esdk encrypt 0x0478'],
      ["1 KiB decrypt, 0x0478: the ESDK vs the floor", 'format floor decrypt 0x0478', 'esdk decrypt 0x0478'],
      ['1 KiB encrypt, cached, 0x0578, vs one node:crypto sign', 'strongroom encrypt 0x0578', 'node:crypto sign P-384'],
      ["1 KiB encrypt, cached, 0x0578, vs OpenSSL's sign (goal ≥ 90 % in rate)", 'strongroom encrypt 0x0578', 'openssl'],
      ["node:crypto sign vs OpenSSL's sign", 'node:crypto sign P-384', 'openssl'],
    ].map(([label, ours, peer]) => [label, fmt(count(ours)), fmt(count(peer)), fmt(count(peer) / count(ours), 3)]),
  ),
);
