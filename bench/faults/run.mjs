/**
 * bench/faults — the long fault runs (issue 9), outside `npm test`:
 *
 * - hsm: 60 s of mixed load (creates, shares with a second crypto user, deletes, AES-GCM) on a real
 *   3-node hsm-local cluster while a seeded schedule SIGKILLs random nodes and restarts them; then
 *   every node is restarted and checked on its own for every acknowledged write (hsm-faults.mjs).
 *   CI runs the same code for 15 s: test/reliability/hsm-faults.test.ts.
 * - kms: 60 s of encrypt+decrypt through KmsKeyProvider (8 concurrent callers) with a fault proxy in
 *   front of kms-local injecting resets, mid-response resets, throttling, 5xx and delays into ~40% of
 *   KMS requests; every data key handed to core is checked to be wiped after use.
 *
 * Run: npm run build && node bench/faults/run.mjs [hsm|kms …]
 * Env: BENCH_FAULT_SECONDS (default 60), STRONGROOM_FAULT_SEED (default: time-based, printed).
 * Exits 1 if anything acknowledged was lost, any operation failed or a data key was left unwiped.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { createClient } from '@strongroom/core';
import { startKmsServer } from '@strongroom/kms-local';
import { KmsKeyProvider } from '@strongroom/provider-kms';
import { startFaultProxy } from './fault-proxy.mjs';
import { runHsmFaults } from './hsm-faults.mjs';
import { capturing } from './capturing.mjs';

const SECONDS = Number(process.env.BENCH_FAULT_SECONDS ?? 60);
const SEED = Number(process.env.STRONGROOM_FAULT_SEED ?? Date.now() % 1_000_000);

const RUNS = {
  async hsm() {
    const r = await runHsmFaults({ durationMs: SECONDS * 1000, seed: SEED, log: (l) => console.log(l) });
    const ops = Object.entries(r.ops).map(([k, v]) => `${k} ${v.ok} ok / ${v.failed} failed`).join(', ');
    console.log(`hsm: seed ${r.seed}, ${SECONDS} s, ${r.kills} SIGKILLs (${r.restarts} restarts)`);
    console.log(`  operations during faults: ${ops}`);
    console.log(`  failures by code: ${JSON.stringify(r.failureCodes)} (untyped: ${r.untypedFailures.length})`);
    console.log(`  acknowledged: ${r.acked.creates} creates, ${r.acked.shares} shares, ${r.acked.deletes} deletes; ${r.checks} per-node checks`);
    console.log(`  node states after restart: ${r.nodeStates.join(', ')}; digests equal: ${r.digestsEqual}; lost: ${r.lost.length}`);
    for (const l of r.lost.slice(0, 20)) console.log(`  LOST ${l}`);
    return r.lost.length === 0 && r.untypedFailures.length === 0 && r.digestsEqual && r.nodeStates.every((s) => s === 'ACTIVE');
  },

  async kms() {
    const dir = mkdtempSync(join(tmpdir(), 'strongroom-bench-faults-kms-'));
    const server = await startKmsServer({ dataDir: dir });
    const proxy = await startFaultProxy({
      target: server.endpoint, seed: SEED,
      rates: { reset: 0.08, 'reset-mid-response': 0.05, throttle: 0.08, '5xx': 0.07, delay: 0.1 }, delayMs: [20, 300],
    });
    const direct = new KMSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
    const kms = new KMSClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 1 });
    try {
      const keyArn = (await direct.send(new CreateKeyCommand({}))).KeyMetadata.Arn;
      const inner = KmsKeyProvider({ generatorKeyId: keyArn, clientProvider: () => kms, retry: { maxAttempts: 10, baseDelayMs: 5, maxDelayMs: 200 } });
      const keys = [];
      const provider = capturing(inner, keys);
      const client = createClient({ keyProvider: provider, frameLength: 1024 });
      let ok = 0;
      const failures = {};
      let unwiped = 0;
      const end = Date.now() + SECONDS * 1000;
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let i = 0; Date.now() < end; i++) {
            try {
              const plaintext = randomBytes(2000);
              const ec = { worker: String(w), n: String(i) };
              const { ciphertext } = await client.encrypt(plaintext, { encryptionContext: ec });
              const back = (await client.decrypt(ciphertext, { expectedEncryptionContext: ec })).plaintext;
              if (!Buffer.from(back).equals(plaintext)) throw new Error('round trip changed the bytes');
              ok++;
            } catch (e) {
              const code = e?.code ?? e?.name ?? 'Error';
              failures[code] = (failures[code] ?? 0) + 1;
            }
            // Check and drop the keys captured so far (memory stays flat over a long run).
            for (const k of keys.splice(0)) if (k.some((b) => b !== 0)) unwiped++;
          }
        }),
      );
      const c = proxy.counts;
      const injected = c.requests - c.passed - c.delay;
      const failed = Object.values(failures).reduce((a, b) => a + b, 0);
      console.log(`kms: seed ${SEED}, ${SECONDS} s, ${ok} encrypt+decrypt pairs ok, ${failed} failed ${JSON.stringify(failures)}`);
      console.log(`  ${c.requests} KMS requests, ${injected} failed by injection (reset ${c.reset}, reset mid-response ${c['reset-mid-response']}, throttle ${c.throttle}, 5xx ${c['5xx']}), ${c.delay} delayed`);
      console.log(`  data keys left unwiped after use: ${unwiped}`);
      return failed === 0 && unwiped === 0;
    } finally {
      direct.destroy();
      kms.destroy();
      await proxy.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(RUNS);
let bad = 0;
for (const name of names) {
  if (!RUNS[name]) {
    console.error(`bench/faults: unknown run ${name}`);
    process.exit(2);
  }
  console.log(`\n--- bench/faults ${name} (${SECONDS} s) ---`);
  if (!(await RUNS[name]())) bad++;
}
process.exit(bad ? 1 : 0);
