// `npm start`: the main job, end to end, on the embedded dev stack (docs/architecture.md#the-dev-stack-and-the-main-job).
//
//  1. boot the dev stack in-process: a 3-node HSM cluster (3 AZ labels, node processes over mutual
//     TLS), kms-local with a connected custom key store on that cluster, and a local S3 (s3rver);
//  2. encrypt a sample file before upload — once per backend: AWS KMS (kms-local), the HSM cluster,
//     the custom key store — streaming it through an encrypted multipart upload;
//  3. check that S3 holds only ciphertext, download and decrypt each object, verify the SHA-256;
//  4. run the same envelope workload through each backend and print the comparison table and the
//     monthly cost model; then stop everything and exit 0.
//
// Needs only `npm install` (the root script builds first). Everything listens on 127.0.0.1 ports
// chosen by the OS and lives in a temporary directory that is removed at the end.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { EncryptedS3Client } from '@strongroom/s3';
import {
  keyProviderFromUri,
  renderCostTable,
  renderResultsTable,
  runComparison,
  s3ClientFor,
  startDevStack,
} from '@strongroom/cli';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
const say = (line) => console.log(line);
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

const dir = mkdtempSync(join(tmpdir(), 'strongroom-start-'));
let stack;
let failed = false;
try {
  say('== 1. dev stack');
  stack = await startDevStack({ dir: join(dir, 'stack'), log: (line) => say(`   ${line}`) });
  const { config } = stack;
  say(`   HSM nodes ${stack.endpoints.hsm.join(' ')} | KMS ${stack.endpoints.kms} | S3 ${stack.endpoints.s3} (${elapsed()})`);

  // A sample file larger than one multipart part, so the upload really streams in parts.
  const sample = randomBytes(12 * 1024 * 1024 + 5);
  const samplePath = join(dir, 'sample.bin');
  writeFileSync(samplePath, sample);
  const digest = sha256(sample);

  const backends = [
    { name: 'KMS', uri: `kms://${config.kms.alias}` },
    { name: 'HSM cluster', uri: `hsm://${config.keyLabel}` },
    config.cks.available
      ? { name: 'custom key store', uri: `cks://${config.cks.alias}` }
      : { name: 'custom key store', unavailable: config.cks.reason },
  ];

  say(`\n== 2-3. encrypt before upload, download, decrypt, verify (${(sample.length / 2 ** 20).toFixed(1)} MiB sample, sha256 ${digest.slice(0, 16)}…)`);
  const s3 = s3ClientFor(config.s3);
  try {
    for (const b of backends) {
      if (b.unavailable) {
        say(`   ${b.name.padEnd(17)} NOT AVAILABLE: ${b.unavailable}`);
        continue;
      }
      const opened = await keyProviderFromUri(b.uri, { config });
      try {
        const client = new EncryptedS3Client({ client: s3, keyProvider: opened.provider, ...(opened.kmsKeyArn ? { kmsKeyIds: [opened.kmsKeyArn] } : {}) });
        const key = `main-job/${b.uri.split('://')[0]}/sample.bin`;
        const context = opened.kmsKeyArn ? { job: 'npm-start' } : undefined; // KMS-wrapped objects bind a context
        const started = performance.now();
        const upload = client.upload({ Bucket: config.s3.bucket, Key: key, Body: createReadStream(samplePath), ...(context ? { encryptionContext: context } : {}) });
        let parts = 0;
        upload.on('httpUploadProgress', () => parts++);
        await upload.done();
        const upMs = performance.now() - started;

        // What S3 holds is ciphertext: fetch it with a plain client.
        const raw = await s3.send(new GetObjectCommand({ Bucket: config.s3.bucket, Key: key }));
        const stored = Buffer.from(await raw.Body.transformToByteArray());
        if (sha256(stored) === digest || stored.subarray(0, 1024).equals(sample.subarray(0, 1024))) throw new Error(`${b.name}: S3 holds plaintext`);

        const got = await client.send(new GetObjectCommand({ Bucket: config.s3.bucket, Key: key }), context ? { encryptionContext: context } : {});
        const hash = createHash('sha256');
        for await (const chunk of got.Body) hash.update(chunk);
        const ok = hash.digest('hex') === digest;
        say(`   ${b.name.padEnd(17)} ${b.uri.padEnd(32)} up ${upMs.toFixed(0).padStart(5)} ms (${parts} parts)  stored ${stored.length} B ciphertext  round trip ${ok ? 'OK' : 'MISMATCH'}`);
        if (!ok) failed = true;
      } finally {
        await opened.close();
      }
    }
  } finally {
    s3.destroy();
  }

  say(`\n== 4. the same envelope workload through each backend (${elapsed()})`);
  const report = await runComparison({
    config,
    backends: ['kms', 'hsm', 'cks'],
    payloads: [1024],
    concurrency: [1, 16],
    cache: [false, true],
    durationMs: 500,
  });
  for (const b of report.backends.filter((x) => !x.available)) say(`   ${b.name}: skipped — ${b.reason}`);
  say('');
  for (const line of renderResultsTable(report.results)) say(line);
  say('');
  for (const line of renderCostTable(report)) say(line);
  say('\n   More: `strongroom compare --html report.html` (charts and the tenancy/FIPS/HA matrix), docs/choosing-a-backend.md.');
} catch (error) {
  failed = true;
  console.error(`npm start failed: ${error?.stack ?? error}`);
} finally {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
}
say(`\n${failed ? 'FAILED' : 'done'} in ${elapsed()}`);
process.exit(failed ? 1 : 0);
