/**
 * bench/hsm — data-key throughput and latency of HSM backends, against raw node:crypto as the
 * ceiling, measured in the same run (docs/architecture.md#testing: benchmarks print ratios against peers).
 *
 * One "op" = generateDataKey + decryptDataKey of that key (suite 0x0478, a small encryption
 * context): what one encrypt plus one decrypt of a message costs the key backend.
 *
 * Each backend is one entry in BACKENDS: { name, setup() → { provider, close() } | { skip: reason } }.
 *
 * Each row also says what an op costs in CPU: the client's (process.cpuUsage) plus every hsm-local
 * node's (utime + stime from /proc/PID/stat, Linux), in µs per op, and the ops/s that cost allows on
 * this machine's cores (`cores × 10^6 / µs per op`): the ceiling no client can beat here. CPU time
 * does not count waiting, so it is a steadier figure on a loaded machine than ops/s.
 *
 * The 3-node cluster is measured twice over the same nodes, in alternating order: one node request
 * per data key (`aes.gcmGenerateDataKey`) and, as its peer, the two requests it replaces
 * (`random` + `aes.gcmEncrypt`, the path PKCS#11 backends take).
 *
 * Run: npm run build && node bench/hsm/run.mjs
 * Env: BENCH_SECONDS (per row, default 3), BENCH_CONCURRENCY (comma list, default "1,8,64"),
 * BENCH_ROUNDS (alternating rounds per row, medians reported; default 1), BENCH_BACKENDS (comma list
 * of substrings of backend names to run, e.g. "raw,3 nodes"; default all).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { getSuite, RawAesKeyProvider } from '@strongroom/core';
import { connectHsmCluster, HsmKeyProvider, openPkcs11 } from '@strongroom/provider-hsm';
import { DEFAULT_AZS, startHsmCluster } from '@strongroom/testing/servers';
import { loadAverage, median } from '../lib/measure.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,8,64').split(',').map(Number);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));
const ONLY = process.env.BENCH_BACKENDS ? process.env.BENCH_BACKENDS.split(',').map((x) => x.trim().toLowerCase()) : undefined;
const CORES = cpus().length;
const suite = getSuite(0x0478);
const encryptionContext = { tenant: 'bench', purpose: 'data-key' };

/**
 * @typedef {{ provider: import('@strongroom/core').KeyProvider, pids?: number[], peers?: Array<{ name: string, provider: import('@strongroom/core').KeyProvider }>, close(): Promise<void> }} Handle
 * @type {{ name: string, ceiling?: boolean, setup(): Promise<Handle | { skip: string }> }[]}
 */
const BACKENDS = [
  {
    name: 'raw node:crypto (RawAesKeyProvider)',
    ceiling: true,
    async setup() {
      return { provider: RawAesKeyProvider({ namespace: 'bench', name: 'kek', key: randomBytes(32) }), close: async () => {} };
    },
  },
  {
    name: 'SoftHSMv2 via PKCS#11 (HsmKeyProvider)',
    async setup() {
      const library = [process.env.SOFTHSM2_LIB, '/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'].find(
        (p) => p && existsSync(p),
      );
      if (!library) return { skip: 'libsofthsm2.so not found (apt-get install softhsm2)' };
      const dir = mkdtempSync(join(tmpdir(), 'strongroom-bench-softhsm-'));
      const conf = join(dir, 'softhsm2.conf');
      writeFileSync(conf, `directories.tokendir = ${dir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
      // SoftHSM reads its config once per process, at the first C_Initialize.
      process.env.SOFTHSM2_CONF = conf;
      try {
        execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'bench', '--so-pin', 'bench-so', '--pin', 'bench-user'], { stdio: 'pipe' });
      } catch (error) {
        rmSync(dir, { recursive: true, force: true });
        return { skip: `softhsm2-util failed: ${error.message}` };
      }
      const hsm = await openPkcs11({ library, tokenLabel: 'bench', pin: 'bench-user', maxSessions: 8 });
      await hsm.generateAesKey({ label: 'bench-kek', bits: 256 });
      return {
        provider: HsmKeyProvider({ backend: hsm, keyLabel: 'bench-kek' }),
        close: async () => {
          await hsm.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  ...[1, 3].map((count) => ({
    name: `hsm-local cluster, ${count} node${count > 1 ? 's' : ''} (HsmKeyProvider over connectHsmCluster)`,
    async setup() {
      const cluster = await startHsmCluster({ azs: DEFAULT_AZS.slice(0, count) });
      const hsm = await connectHsmCluster({
        nodes: cluster.urls.map((url, i) => ({ url, az: cluster.azs[i] })),
        trustAnchor: cluster.info.trustAnchor,
        clientCert: cluster.info.clientCert,
        ...cluster.cryptoUser,
        keyAvailability: Math.min(2, count),
      });
      await hsm.generateAesKey({ label: 'bench-kek', bits: 256 });
      // The peer: the same client without its one-request data key call (random + aes.gcmEncrypt).
      const { generateDataKey: _oneCall, ...twoCalls } = hsm;
      return {
        provider: HsmKeyProvider({ backend: hsm, keyLabel: 'bench-kek' }),
        pids: cluster.nodes.map((n) => n.pid),
        peers: count > 1 ? [{ name: `hsm-local cluster, ${count} nodes, 2 requests per data key (random + aes.gcmEncrypt)`, provider: HsmKeyProvider({ backend: twoCalls, keyLabel: 'bench-kek', backendId: hsm.id }) }] : [],
        close: async () => {
          await hsm.close();
          await cluster.stopAll();
        },
      };
    },
  })),
];

async function oneOp(provider) {
  const { plaintextKey, encryptedDataKey } = await provider.generateDataKey({ suite, encryptionContext });
  const back = await provider.decryptDataKey({ suite, encryptionContext, encryptedDataKey });
  if (!back || Buffer.compare(Buffer.from(back), Buffer.from(plaintextKey)) !== 0) throw new Error('round trip mismatch');
  plaintextKey.fill(0);
  back.fill(0);
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** CPU time of a process in ms (utime + stime, /proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s). */
function processCpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

async function measure(provider, concurrency, pids = []) {
  for (let i = 0; i < 20; i++) await oneOp(provider); // warm-up: key lookup, sessions, JIT
  const latencies = [];
  const cpu0 = process.cpuUsage();
  const nodes0 = pids.map(processCpuMs);
  const deadline = performance.now() + SECONDS * 1000;
  const start = performance.now();
  async function worker() {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await oneOp(provider);
      latencies.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const nodesMs = pids.reduce((sum, pid, i) => sum + processCpuMs(pid) - nodes0[i], 0);
  latencies.sort((a, b) => a - b);
  const n = latencies.length;
  return {
    ops: n / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), n,
    clientUs: (cpu.user + cpu.system) / n, nodesUs: pids.length ? (nodesMs * 1000) / n : 0,
  };
}

/** Median of each figure over the rounds of one row. */
function medianRow(results) {
  const pick = (k) => median(results.map((r) => r[k]));
  return { ops: pick('ops'), p50: pick('p50'), p99: pick('p99'), n: results.reduce((x, r) => x + r.n, 0), clientUs: pick('clientUs'), nodesUs: pick('nodesUs') };
}

console.log(`start: ${loadAverage()}`);
const rows = [];
for (const backend of BACKENDS) {
  if (ONLY && !ONLY.some((x) => backend.name.toLowerCase().includes(x))) continue;
  let handle;
  try {
    handle = await backend.setup();
  } catch (error) {
    handle = { skip: `setup failed: ${error.message}` };
  }
  if ('skip' in handle) {
    console.log(`skip ${backend.name}: ${handle.skip}`);
    continue;
  }
  try {
    const cases = [{ name: backend.name, provider: handle.provider }, ...(handle.peers ?? [])];
    for (const c of CONCURRENCY) {
      // Alternate the order of the cases each round, so neither always runs first.
      const results = cases.map(() => []);
      for (let round = 0; round < ROUNDS; round++) {
        for (let j = 0; j < cases.length; j++) {
          const i = (round + j) % cases.length;
          results[i].push(await measure(cases[i].provider, c, handle.pids));
        }
      }
      cases.forEach((k, i) => rows.push({ name: k.name, ceiling: !!backend.ceiling, concurrency: c, ...medianRow(results[i]) }));
    }
  } finally {
    await handle.close();
  }
}

const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(
  `\nHSM data-key bench: generateDataKey + decryptDataKey per op, suite 0x0478, ${SECONDS}s per row, ${ROUNDS} round(s) per row (medians), node ${process.version}`,
);
console.log(`end: ${loadAverage()}`);
console.log(`cpu µs/op: client + nodes (0 for in-process backends); ${CORES}-core ceiling = ${CORES} × 10^6 / cpu µs per op\n`);
const header = ['backend', 'conc', 'ops/s', 'p50 ms', 'p99 ms', 'vs ceiling', 'cpu µs/op', `${CORES}-core ceiling`, 'ops'];
const table = rows.map((r) => {
  const ceiling = rows.find((x) => x.ceiling && x.concurrency === r.concurrency);
  const cpuUs = r.clientUs + r.nodesUs;
  return [
    r.name, String(r.concurrency), fmt(r.ops), fmt(r.p50, 3), fmt(r.p99, 3), ceiling ? `${fmt(r.ops / ceiling.ops, 3)}x` : 'n/a',
    r.nodesUs ? `${fmt(r.clientUs)} + ${fmt(r.nodesUs)} = ${fmt(cpuUs)}` : fmt(cpuUs), fmt((CORES * 1e6) / cpuUs), String(r.n),
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of table) console.log(line(row));
