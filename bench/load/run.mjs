/**
 * bench/load — 32 concurrent clients for 60 s (issue 9), each a separate client instance:
 *
 * - against the 3-node hsm-local cluster: 32 `connectHsmCluster` clients, each driving
 *   `HsmKeyProvider` data-key operations (generateDataKey + decryptDataKey of that key, suite 0x0478);
 * - against kms-local: 32 `KMSClient` instances, each driving `createClient` + `KmsKeyProvider`
 *   encrypt + decrypt of a 1 KiB message with no data-key cache (one GenerateDataKey and one Decrypt
 *   per pair).
 *
 * Prints per target: operations, ops/s, errors, error rate, p50 / p99 / max latency of one operation.
 * Not a pass/fail test; it exits 1 only when errors were seen.
 *
 * Run: npm run build && node bench/load/run.mjs [hsm|kms …]
 * Env: BENCH_LOAD_SECONDS (default 60), BENCH_LOAD_CLIENTS (default 32).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { createClient, getSuite } from '@strongroom/core';
import { startKmsServer } from '@strongroom/kms-local';
import { connectHsmCluster, HsmKeyProvider } from '@strongroom/provider-hsm';
import { KmsKeyProvider } from '@strongroom/provider-kms';
import { startHsmCluster } from '@strongroom/testing/servers';
import { fmt, percentile, table } from '../lib/measure.mjs';

const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const CLIENTS = Number(process.env.BENCH_LOAD_CLIENTS ?? 32);
const suite = getSuite(0x0478);
const encryptionContext = { tenant: 'load', purpose: 'bench' };

/** Run `op(i)` in CLIENTS loops for SECONDS; collect latencies and errors. */
async function drive(ops) {
  const latencies = [];
  const errors = {};
  let failed = 0;
  const end = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    ops.map(async (op) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        try {
          await op();
          latencies.push(performance.now() - t0);
        } catch (e) {
          failed++;
          const code = e?.code ?? e?.name ?? 'Error';
          errors[code] = (errors[code] ?? 0) + 1;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { ok: latencies.length, failed, errors, elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? 0 };
}

const TARGETS = {
  async hsm() {
    const cluster = await startHsmCluster();
    const clients = [];
    try {
      const nodes = cluster.urls.map((url, i) => ({ url, az: cluster.azs[i] }));
      const base = { nodes, trustAnchor: cluster.info.trustAnchor, clientCert: cluster.info.clientCert, ...cluster.cryptoUser };
      const first = await connectHsmCluster({ ...base, az: cluster.azs[0] });
      clients.push(first);
      await first.generateAesKey({ label: 'load-kek', bits: 256 });
      for (let i = 1; i < CLIENTS; i++) clients.push(await connectHsmCluster({ ...base, az: cluster.azs[i % cluster.azs.length] }));
      const ops = clients.map((backend) => {
        const provider = HsmKeyProvider({ backend, keyLabel: 'load-kek' });
        return async () => {
          const g = await provider.generateDataKey({ suite, encryptionContext });
          const back = await provider.decryptDataKey({ suite, encryptionContext, encryptedDataKey: g.encryptedDataKey });
          if (!back || !Buffer.from(back).equals(Buffer.from(g.plaintextKey))) throw Object.assign(new Error('data key mismatch'), { code: 'MISMATCH' });
          g.plaintextKey.fill(0);
          back.fill(0);
        };
      });
      return { name: `hsm-local 3-node cluster, HsmKeyProvider generate+decrypt data key (${CLIENTS} cluster clients)`, ...(await drive(ops)) };
    } finally {
      for (const c of clients) await c.close().catch(() => {});
      await cluster.stopAll();
    }
  },
  async kms() {
    const dir = mkdtempSync(join(tmpdir(), 'strongroom-bench-load-kms-'));
    const server = await startKmsServer({ dataDir: dir });
    const kmsClients = [];
    try {
      const mk = () => {
        const c = new KMSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
        kmsClients.push(c);
        return c;
      };
      const keyArn = (await mk().send(new CreateKeyCommand({}))).KeyMetadata.Arn;
      const payload = randomBytes(1024);
      const ops = Array.from({ length: CLIENTS }, () => {
        const kms = mk();
        const client = createClient({ keyProvider: KmsKeyProvider({ generatorKeyId: keyArn, clientProvider: () => kms }) });
        return async () => {
          const { ciphertext } = await client.encrypt(payload, { encryptionContext });
          const { plaintext } = await client.decrypt(ciphertext, { expectedEncryptionContext: encryptionContext });
          if (!Buffer.from(plaintext).equals(payload)) throw Object.assign(new Error('plaintext mismatch'), { code: 'MISMATCH' });
        };
      });
      return { name: `kms-local, KmsKeyProvider encrypt+decrypt 1 KiB, no cache (${CLIENTS} KMSClients)`, ...(await drive(ops)) };
    } finally {
      for (const c of kmsClients) c.destroy();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(TARGETS);
console.log(`bench/load: ${CLIENTS} concurrent clients, ${SECONDS} s per target`);
const rows = [];
let errors = 0;
for (const name of names) {
  if (!TARGETS[name]) {
    console.error(`bench/load: unknown target ${name}`);
    process.exit(2);
  }
  const r = await TARGETS[name]();
  errors += r.failed;
  const total = r.ok + r.failed;
  rows.push([r.name, fmt(total), fmt(r.ok / r.elapsed), `${r.failed}${r.failed ? ` ${JSON.stringify(r.errors)}` : ''}`, `${fmt((100 * r.failed) / Math.max(1, total), 3)} %`, fmt(r.p50, 1), fmt(r.p99, 1), fmt(r.max, 1)]);
  console.log(`  ${name}: done`);
}
console.log(table(['target', 'operations', 'ops/s', 'errors', 'error rate', 'p50 ms', 'p99 ms', 'max ms'], rows));
process.exit(errors ? 1 : 0);
