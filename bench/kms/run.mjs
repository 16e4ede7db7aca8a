/**
 * bench/kms — KMS throughput and latency, measured in one run so the ratios are meaningful:
 *
 *  0. baseline: a bare node:http server answering a fixed JSON body (the floor for any Node server)
 *  1. raw HTTP: GenerateDataKey requests straight at kms-local (keep-alive, unsigned, default mode)
 *  2. SDK provider: KmsKeyProvider.generateDataKey + decryptDataKey through @aws-sdk/client-kms
 *     (SigV4-signed, strict-mode kms-local)
 *  3. core client encrypt+decrypt with the KMS provider, without and with the data-key cache
 *
 * kms-local runs as a separate process (the built CLI), as a user would run it.
 * Env: BENCH_MS (per phase, default 3000), BENCH_CONCURRENCY (default 16).
 * Run: npm run build && node bench/kms/run.mjs
 */
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { createClient, createDataKeyCache, DEFAULT_SUITE } from '@strongroom/core';
import { KmsKeyProvider } from '@strongroom/provider-kms';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const MS = Number(process.env.BENCH_MS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const CREDENTIALS = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' };
const cli = join(createRequire(import.meta.url).resolve('@strongroom/kms-local/package.json'), '..', 'dist', 'cli.mjs');

function startServer(strict) {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-kms-'));
  const env = { ...process.env, ...(strict && { KMS_LOCAL_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, KMS_LOCAL_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey }) };
  const child = spawn(process.execPath, [cli, '--data-dir', dataDir, '--port', '0'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ endpoint: m[1], stop: () => (child.kill('SIGTERM'), rmSync(dataDir, { recursive: true, force: true })) });
    });
    child.once('exit', (code) => reject(new Error(`kms-local exited ${code}`)));
  });
}

/** A bare node:http server in its own process, as the floor kms-local is compared with. */
function startBaseline() {
  const code = `require('node:http').createServer((q,s)=>{q.resume();q.on('end',()=>{const b='{"ok":true}';s.writeHead(200,{'content-type':'application/x-amz-json-1.1','content-length':b.length});s.end(b)})}).listen(0,'127.0.0.1',function(){console.log('listening on http://127.0.0.1:'+this.address().port)})`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => {
    child.stdout.on('data', (d) => {
      const m = /listening on (\S+)/.exec(String(d));
      if (m) resolve({ endpoint: m[1], stop: () => child.kill('SIGTERM') });
    });
  });
}

function rawPost(endpoint, agent, target, body) {
  const url = new URL(endpoint);
  return () =>
    new Promise((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, method: 'POST', path: '/', agent, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

/** Run `op` from CONCURRENCY workers for MS milliseconds; returns ops/s and latency percentiles. */
async function measure(op) {
  for (let i = 0; i < 20; i++) await op(); // warm-up
  const latencies = [];
  const end = performance.now() + MS;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await op();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  return { opsPerSec: latencies.length / elapsed, p50: pct(50), p99: pct(99), n: latencies.length };
}

const fmt = (r, unit) => `${r.opsPerSec.toFixed(0).padStart(8)} ${unit}/s   p50 ${r.p50.toFixed(2).padStart(7)} ms   p99 ${r.p99.toFixed(2).padStart(7)} ms   (n=${r.n})`;

const strict = await startServer(true);
const open = await startServer(false);
const baselineServer = await startBaseline();
try {
  const kms = new KMSClient({ endpoint: strict.endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
  const keyArn = (await kms.send(new CreateKeyCommand({}))).KeyMetadata.Arn;
  const openKms = new KMSClient({ endpoint: open.endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
  const openKeyId = (await openKms.send(new CreateKeyCommand({}))).KeyMetadata.KeyId;
  openKms.destroy();

  // 0 + 1. Raw HTTP: bare Node server, then kms-local
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const body = JSON.stringify({ KeyId: openKeyId, NumberOfBytes: 32, EncryptionContext: { tenant: 'acme' } });
  const baseline = await measure(rawPost(baselineServer.endpoint, agent, 'TrentService.GenerateDataKey', body));
  const raw = await measure(rawPost(open.endpoint, agent, 'TrentService.GenerateDataKey', body));
  agent.destroy();

  // 2. SDK provider: GenerateDataKey + Decrypt per iteration
  const provider = KmsKeyProvider({ generatorKeyId: keyArn, clientProvider: () => kms });
  const encryptionContext = { tenant: 'acme' };
  const sdk = await measure(async () => {
    const { plaintextKey, encryptedDataKey } = await provider.generateDataKey({ suite: DEFAULT_SUITE, encryptionContext });
    const key = await provider.decryptDataKey({ suite: DEFAULT_SUITE, encryptionContext, encryptedDataKey });
    plaintextKey.fill(0);
    key?.fill(0);
  });

  // 3. core client encrypt + decrypt of a 1 KiB message, without and with the data-key cache
  const message = new Uint8Array(1024);
  const roundTrip = (client) => async () => {
    const { ciphertext } = await client.encrypt(message, { encryptionContext });
    await client.decrypt(ciphertext, { expectedEncryptionContext: encryptionContext });
  };
  const uncached = await measure(roundTrip(createClient({ keyProvider: provider })));
  const cache = createDataKeyCache({ capacity: 100, maxAge: 60_000, maxMessagesEncrypted: 1_000_000 });
  const cached = await measure(roundTrip(createClient({ keyProvider: provider, cache })));
  kms.destroy();

  console.log(`\nbench/kms — ${MS} ms per phase, concurrency ${CONCURRENCY}, Node ${process.version}\n`);
  console.log(`bare node:http server (floor)                ${fmt(baseline, 'req')}`);
  console.log(`kms-local raw HTTP GenerateDataKey           ${fmt(raw, 'req')}`);
  console.log(`SDK provider GenerateDataKey+Decrypt (pairs) ${fmt(sdk, 'pair')}  = ${(sdk.opsPerSec * 2).toFixed(0)} KMS req/s`);
  console.log(`client encrypt+decrypt, no cache             ${fmt(uncached, 'msg')}`);
  console.log(`client encrypt+decrypt, data-key cache       ${fmt(cached, 'msg')}`);
  console.log('\nratios');
  console.log(`  kms-local ÷ bare node:http req/s           ${(raw.opsPerSec / baseline.opsPerSec).toFixed(2)}×  (cost of the KMS work per request)`);
  console.log(`  raw HTTP req/s ÷ SDK provider KMS req/s    ${(raw.opsPerSec / (sdk.opsPerSec * 2)).toFixed(2)}×  (SDK + SigV4 overhead)`);
  console.log(`  cached ÷ uncached messages/s               ${(cached.opsPerSec / uncached.opsPerSec).toFixed(2)}×`);
  console.log(`  uncached ÷ cached p50 latency              ${(uncached.p50 / cached.p50).toFixed(2)}×`);
} finally {
  strict.stop();
  open.stop();
  baselineServer.stop();
}
