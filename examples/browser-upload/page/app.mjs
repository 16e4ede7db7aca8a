/**
 * The page: encrypt a chosen file in the browser and upload it to S3 as an encrypted multipart upload
 * with progress, then download and decrypt it back — with `EncryptedS3Client` from @strongroom/s3 and
 * `KmsKeyProvider` from @strongroom/provider-kms, both through their web entries (Web Crypto, WHATWG
 * streams), over the AWS SDK for JavaScript v3's browser builds
 * (https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/).
 * The object is framed (an AWS Encryption SDK message, bound to its bucket and key); the "V3" button
 * writes the same file in the Amazon S3 Encryption Client's V3 format instead (held whole in memory).
 * Endpoints and the dev credentials come from /config.json, which the example's server derives from
 * the dev stack's dev.json (development only: never serve real credentials to a page).
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { KmsKeyProvider } from '@strongroom/provider-kms';
import { EncryptedS3Client } from '@strongroom/s3';

const $ = (id) => document.getElementById(id);
const status = (text) => ($('status').textContent = text);
const PART_SIZE = 5 * 1024 * 1024; // S3's smallest part (all but the last)

const hex = async (bytes) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');

const config = await (await fetch('/config.json')).json();
const kms = new KMSClient({ endpoint: config.kms.endpoint, region: config.kms.region, credentials: config.kms.credentials, maxAttempts: 1 });
const s3 = new S3Client({
  endpoint: config.s3.endpoint,
  region: config.s3.region,
  credentials: config.s3.credentials,
  forcePathStyle: true,
  maxAttempts: 2,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const keyProvider = KmsKeyProvider({ generatorKeyId: config.kms.keyArn, clientProvider: () => kms });
// kmsKeyIds: a V3 envelope does not record its KMS key, and KMS providers route by key ARN.
const clients = {
  framed: new EncryptedS3Client({ client: s3, keyProvider, format: 'framed', kmsKeyIds: [config.kms.keyArn] }),
  v3: new EncryptedS3Client({ client: s3, keyProvider, format: 'v3', kmsKeyIds: [config.kms.keyArn] }),
};

let uploaded; // { key, name, sha256, context, format }

$('file').addEventListener('change', () => {
  $('upload').disabled = $('upload-v3').disabled = !$('file').files?.length;
});

async function upload(format) {
  const file = $('file').files[0];
  $('upload').disabled = $('upload-v3').disabled = true;
  try {
    const context = { purpose: 'browser-upload', file: file.name };
    const key = `browser-upload/${crypto.randomUUID()}`;
    status(`encrypting and uploading ${file.name} (${file.size} bytes, ${format}) to s3://${config.s3.bucket}/${key}…`);
    const progress = $('progress');
    progress.max = file.size || 1;
    progress.value = 0;
    const events = [];
    const up = clients[format].upload({ Bucket: config.s3.bucket, Key: key, Body: file, ContentType: 'application/octet-stream', partSize: PART_SIZE, queueSize: 2, encryptionContext: context });
    up.on('httpUploadProgress', ({ loaded, total, part }) => {
      events.push({ loaded, total, part });
      progress.value = loaded;
      $('progress-text').textContent = `${loaded} / ${total} bytes (part ${part})`;
    });
    await up.done();
    uploaded = { key, name: file.name, sha256: await hex(await file.arrayBuffer()), context, format };
    document.body.dataset.progress = JSON.stringify(events);
    document.body.dataset.uploadedKey = key;
    document.body.dataset.uploadedFormat = format;
    status(`uploaded: s3://${config.s3.bucket}/${key} (${format}, ${events.length} progress events)\nplaintext ${file.size} bytes, sha-256 ${uploaded.sha256}`);
    $('download').disabled = false;
  } catch (e) {
    status(`upload failed: ${e.code ?? e.name}: ${e.message}`);
  } finally {
    $('upload').disabled = $('upload-v3').disabled = false;
  }
}

$('upload').addEventListener('click', () => upload('framed'));
$('upload-v3').addEventListener('click', () => upload('v3'));

$('download').addEventListener('click', async () => {
  try {
    delete document.body.dataset.decryptedSha256;
    status(`downloading s3://${config.s3.bucket}/${uploaded.key}…`);
    // Framed: decrypted as it arrives, each frame released only after it authenticates. V3: the whole
    // object authenticates before a byte is released. Either client reads every format.
    const object = await clients.framed.send(new GetObjectCommand({ Bucket: config.s3.bucket, Key: uploaded.key }), { encryptionContext: uploaded.context });
    const plaintext = await object.Body.transformToByteArray();
    const sha256 = await hex(plaintext);
    const same = sha256 === uploaded.sha256;
    document.body.dataset.decryptedSha256 = sha256;
    const save = $('save');
    save.href = URL.createObjectURL(new Blob([plaintext]));
    save.download = uploaded.name;
    save.hidden = false;
    status(`decrypted ${plaintext.length} bytes, sha-256 ${sha256}\n${same ? 'identical to the file uploaded' : 'DIFFERENT from the file uploaded'}`);
  } catch (e) {
    status(`download failed: ${e.code ?? e.name}: ${e.message}`);
  }
});

/** For the test: open an object some other client wrote (e.g. Node), as the page would. */
window.readObject = async (key, context) => {
  const object = await clients.framed.send(new GetObjectCommand({ Bucket: config.s3.bucket, Key: key }), { encryptionContext: context });
  return hex(await object.Body.transformToByteArray());
};

$('file').disabled = false;
status(`ready: KMS ${config.kms.endpoint} (key ${config.kms.keyArn}), S3 ${config.s3.endpoint} bucket ${config.s3.bucket}`);
document.body.dataset.ready = 'true';
