// A child process for the 1 GiB framed-object test (../large-framed.test.ts): one transfer through
// the built EncryptedS3Client, reporting as one JSON line on stdout how much its resident set grew:
// the peak of the RSS sampled at every chunk of the transfer, minus the RSS before it. Before it, the
// process makes one 64 MiB transfer each way (the warm-up): the first transfers of a Node process
// grow V8's young generation to its working size and glibc's arenas and mmap threshold to theirs,
// a one-time cost (`rampUp`, reported and bounded by the test too; with the part buffers ~60 MiB on
// Node 20, ~95 MiB on Node 24)
// that a 64 MiB object pays as much as a 1 GiB one. What is left is what the object's size costs,
// which bounded memory keeps small (docs/performance.md, "Memory of long transfers").
// `up` uploads what arrives on stdin (the test streams the data in, as a user pipes a file), `down`
// hashes what it downloads.
//   node large-transfer-child.mjs up|down ENDPOINT BUCKET KEY   (env TEST_AES_KEY: base64)
import { createHash } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { RawAesKeyProvider } from '@strongroom/core';
import { EncryptedS3Client } from '@strongroom/s3';
import { generatedStream } from '@strongroom/testing';

const [mode, endpoint, Bucket, Key] = process.argv.slice(2);
const MiB = 1024 * 1024;
/** The settings the test documents (docs/s3.md#parallel-transfers-framed-objects); the CLI uses the same. */
const UPLOAD = { partSize: 5 * MiB, queueSize: 2 };
const DOWNLOAD = { partSize: 2 * MiB, concurrency: 4 };

const client = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const keyProvider = RawAesKeyProvider({ namespace: 's3-test', name: 'aes-1', key: Buffer.from(process.env.TEST_AES_KEY ?? '', 'base64') });
const s3 = new EncryptedS3Client({ client, keyProvider, format: 'framed' });
const rss = () => process.memoryUsage.rss();
let peak = 0;
const sample = () => {
  peak = Math.max(peak, rss());
};

/** `source`'s chunks, sampling the RSS at each. */
async function* sampled(source) {
  for await (const chunk of source) {
    sample();
    yield chunk;
  }
}

async function up(key, body) {
  const upload = s3.upload({ Bucket, Key: key, Body: sampled(body), ...UPLOAD });
  let events = 0;
  let loaded = 0;
  upload.on('httpUploadProgress', (p) => {
    events++;
    loaded = p.loaded ?? loaded;
  });
  await upload.done();
  return { events, loaded };
}

async function down(key) {
  const out = await s3.download({ Bucket, Key: key, ...DOWNLOAD });
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of out.Body) {
    sample();
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, sha256: hash.digest('hex'), contentLength: out.ContentLength };
}

const start = rss();
const warmKey = `${Key}.warm-${mode}`;
await up(warmKey, generatedStream(64 * MiB, 'warm-up'));
await down(warmKey);
const rampUp = process.resourceUsage().maxRSS * 1024 - start;
const base = rss();
peak = base;
const result = mode === 'up' ? await up(Key, process.stdin) : await down(Key);
process.stdout.write(`${JSON.stringify({ ...result, growth: peak - base, base, rampUp })}\n`);
client.destroy();
