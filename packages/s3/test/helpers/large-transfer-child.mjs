// A child process for the 1 GiB framed-object test (../large-framed.test.ts): one transfer through
// the built EncryptedS3Client, reporting its peak resident set size growth (getrusage(2) ru_maxrss
// through process.resourceUsage(), over a warm-up with a 1 MiB object, so start-up cost is not
// counted but the part buffers are) as one JSON line on stdout.
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
const maxRss = () => process.resourceUsage().maxRSS * 1024;

async function up(key, body) {
  const upload = s3.upload({ Bucket, Key: key, Body: body, ...UPLOAD });
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
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, sha256: hash.digest('hex'), contentLength: out.ContentLength };
}

const warmKey = `${Key}.warm-${mode}`;
await up(warmKey, generatedStream(MiB, 'warm-up'));
await down(warmKey);
const base = maxRss();
const result = mode === 'up' ? await up(Key, process.stdin) : await down(Key);
process.stdout.write(`${JSON.stringify({ ...result, growth: maxRss() - base, base })}\n`);
client.destroy();
