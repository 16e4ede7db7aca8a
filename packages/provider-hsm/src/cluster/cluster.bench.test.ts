/**
 * Throughput measurement of the cluster client (not a test: no assertions, skipped unless
 * STRONGROOM_HSM_BENCH=1). One data-key operation = HSM random(32) + AES-GCM wrap + unwrap.
 *   STRONGROOM_HSM_BENCH=1 npx vitest run --project provider-hsm src/cluster/cluster.bench.test.ts
 * The benchmark proper lives in bench/hsm.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { afterAll, beforeAll, it } from 'vitest';
import { connectHsmCluster, type HsmClusterClient } from './index';
import { APP, startProcCluster, type ProcCluster } from './test-cluster';

const enabled = process.env.STRONGROOM_HSM_BENCH === '1';
let c: ProcCluster | undefined;
let hsm: HsmClusterClient | undefined;

beforeAll(async () => {
  if (!enabled) return;
  c = await startProcCluster();
  hsm = await connectHsmCluster({ nodes: c.urls.map((url) => ({ url })), trustAnchor: c.info.trustAnchor, clientCert: c.info.clientCert, ...APP });
}, 120_000);

afterAll(async () => {
  await hsm?.close();
  await c?.stopAll();
});

it.skipIf(!enabled)('data-key operations per second', async () => {
  const kek = await hsm!.generateAesKey({ label: 'bench-kek', bits: 256 });
  const aad = Buffer.from('{"tenant":"bench"}');
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 64);
  const durationMs = Number(process.env.BENCH_MS ?? 5000);
  const lat: number[] = [];
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const t0 = performance.now();
      const dk = await hsm!.generateRandom(32);
      const w = await hsm!.aesGcmEncrypt(kek, dk, aad);
      await hsm!.aesGcmDecrypt(kek, { ...w, aad });
      lat.push(performance.now() - t0);
    }
  };
  // warm-up
  stop = false;
  const warm = Array.from({ length: concurrency }, worker);
  await new Promise((r) => setTimeout(r, 1000));
  stop = true;
  await Promise.all(warm);
  lat.length = 0;
  stop = false;
  const profile = process.env.BENCH_PROFILE ? new Session() : undefined;
  if (profile) {
    profile.connect();
    await profile.post('Profiler.enable');
    await profile.post('Profiler.start');
  }
  const t0 = performance.now();
  const ws = Array.from({ length: concurrency }, worker);
  await new Promise((r) => setTimeout(r, durationMs));
  stop = true;
  await Promise.all(ws);
  const secs = (performance.now() - t0) / 1000;
  if (profile) {
    const { profile: p } = await profile.post('Profiler.stop');
    writeFileSync(process.env.BENCH_PROFILE!, JSON.stringify(p));
  }
  lat.sort((x, y) => x - y);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(2);
  console.log(`data-key ops: ${(lat.length / secs).toFixed(0)}/s (concurrency ${concurrency}), p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`);
}, 60_000);
