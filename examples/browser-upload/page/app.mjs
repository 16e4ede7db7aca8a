/**
 * The page: encrypt a chosen file with @strongroom/core's web entry (Web Crypto, Web Streams) under a
 * data key from kms-local, PUT the ciphertext to S3, then GET it and decrypt it back — with the AWS
 * SDK for JavaScript v3's browser builds (https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/).
 * Endpoints and the dev credentials come from /config.json, which the example's server derives from
 * the dev stack's dev.json (development only: never serve real credentials to a page).
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createClient } from '@strongroom/core';
import { browserKmsKeyProvider } from './kms-key-provider.mjs';

const $ = (id) => document.getElementById(id);
const status = (text) => ($('status').textContent = text);

async function collect(stream) {
  const readable = typeof stream.getReader === 'function' ? stream : stream.readable;
  const parts = [];
  const reader = readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  return new Uint8Array(await new Blob(parts).arrayBuffer());
}
const hex = async (bytes) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');

const config = await (await fetch('/config.json')).json();
const kms = new KMSClient({ endpoint: config.kms.endpoint, region: config.kms.region, credentials: config.kms.credentials, maxAttempts: 2 });
const s3 = new S3Client({ endpoint: config.s3.endpoint, region: config.s3.region, credentials: config.s3.credentials, forcePathStyle: true, maxAttempts: 2 });
const client = createClient({ keyProvider: browserKmsKeyProvider({ client: kms, keyArn: config.kms.keyArn }) });

let uploaded; // { key, name, sha256 }

$('file').addEventListener('change', () => ($('upload').disabled = !$('file').files?.length));

$('upload').addEventListener('click', async () => {
  const file = $('file').files[0];
  $('upload').disabled = true;
  try {
    status(`encrypting ${file.name} (${file.size} bytes)…`);
    const context = { purpose: 'browser-upload', file: file.name };
    const ciphertext = await collect(client.encryptStream(file.stream(), { encryptionContext: context }));
    const key = `browser-upload/${crypto.randomUUID()}`;
    status(`uploading ${ciphertext.length} bytes of ciphertext to s3://${config.s3.bucket}/${key}…`);
    await s3.send(new PutObjectCommand({ Bucket: config.s3.bucket, Key: key, Body: ciphertext, ContentType: 'application/octet-stream' }));
    uploaded = { key, name: file.name, sha256: await hex(await file.arrayBuffer()), context };
    document.body.dataset.uploadedKey = key;
    status(`uploaded: s3://${config.s3.bucket}/${key}\nplaintext ${file.size} bytes, sha-256 ${uploaded.sha256}\nciphertext ${ciphertext.length} bytes`);
    $('download').disabled = false;
  } catch (e) {
    status(`upload failed: ${e.code ?? e.name}: ${e.message}`);
  } finally {
    $('upload').disabled = false;
  }
});

$('download').addEventListener('click', async () => {
  try {
    status(`downloading s3://${config.s3.bucket}/${uploaded.key}…`);
    const object = await s3.send(new GetObjectCommand({ Bucket: config.s3.bucket, Key: uploaded.key }));
    // Decrypted as it arrives: each frame is released only after it authenticates.
    const plaintext = await collect(client.decryptStream(object.Body.transformToWebStream(), { expectedEncryptionContext: uploaded.context }));
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

$('file').disabled = false;
status(`ready: KMS ${config.kms.endpoint} (key ${config.kms.keyArn}), S3 ${config.s3.endpoint} bucket ${config.s3.bucket}`);
document.body.dataset.ready = 'true';
