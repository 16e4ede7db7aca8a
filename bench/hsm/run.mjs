/**
 * bench/hsm — data-key throughput and latency of HSM backends, against raw node:crypto as the
 * ceiling, measured in the same run (docs/architecture.md#testing: benchmarks print ratios against peers).
 *
 * One "op" = generateDataKey + decryptDataKey of that key (suite 0x0478, a small encryption
 * context): what one encrypt plus one decrypt of a message costs the key backend.
 *
 * Each backend is one entry in BACKENDS: { name, setup() → { provider, close() } | { skip: reason } }.
 *
 * Run: npm run build && node bench/hsm/run.mjs
 * Env: BENCH_SECONDS (per row, default 3), BENCH_CONCURRENCY (comma list, default "1,8").
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { getSuite, RawAesKeyProvider } from '@strongroom/core';
import { connectHsmCluster, HsmKeyProvider, openPkcs11 } from '@strongroom/provider-hsm';
import { DEFAULT_AZS, startHsmCluster } from '@strongroom/testing/servers';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,8,64').split(',').map(Number);
const suite = getSuite(0x0478);
const encryptionContext = { tenant: 'bench', purpose: 'data-key' };

/** @type {{ name: string, ceiling?: boolean, setup(): Promise<{ provider: import('@strongroom/core').KeyProvider, close(): Promise<void> } | { skip: string }> }[]} */
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
      return {
        provider: HsmKeyProvider({ backend: hsm, keyLabel: 'bench-kek' }),
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

async function measure(provider, concurrency) {
  for (let i = 0; i < 20; i++) await oneOp(provider); // warm-up: key lookup, sessions, JIT
  const latencies = [];
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
  latencies.sort((a, b) => a - b);
  return { ops: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), n: latencies.length };
}

const rows = [];
for (const backend of BACKENDS) {
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
    for (const c of CONCURRENCY) rows.push({ name: backend.name, ceiling: !!backend.ceiling, concurrency: c, ...(await measure(handle.provider, c)) });
  } finally {
    await handle.close();
  }
}

const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
console.log(`\nHSM data-key bench: generateDataKey + decryptDataKey per op, suite 0x0478, ${SECONDS}s per row, node ${process.version}\n`);
const header = ['backend', 'conc', 'ops/s', 'p50 ms', 'p99 ms', 'vs ceiling', 'ops'];
const table = rows.map((r) => {
  const ceiling = rows.find((x) => x.ceiling && x.concurrency === r.concurrency);
  return [r.name, String(r.concurrency), fmt(r.ops), fmt(r.p50, 3), fmt(r.p99, 3), ceiling ? `${fmt(r.ops / ceiling.ops, 3)}x` : 'n/a', String(r.n)];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
console.log(line(header));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const row of table) console.log(line(row));
