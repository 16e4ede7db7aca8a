/**
 * S3 faults and cross-object tampering (issue 9), against s3rver over real sockets.
 *
 * - A connection dropped during an UploadPart (a fault proxy between the S3 client and s3rver resets
 *   every attempt at one part): upload() rejects, AbortMultipartUpload is sent, and the key shows no
 *   object — or, when one existed, the previous version, still decrypting to its old bytes.
 * - Swapping between objects: the V3 instruction file of another object, another object's wrapped key
 *   or encryption context (kms+context, KMS-bound) — every swap is refused in the default mode, and the
 *   refusal comes from getObject itself, so no plaintext is released.
 * (Bit flips and truncation of S3 objects are in packages/s3/test/v3-format.test.ts; in-process part
 * failure and abort() in packages/s3/test/multipart.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { RawAesKeyProvider, StrongroomError } from '@strongroom/core';
import { startKmsServer, type KmsServer } from '@strongroom/kms-local';
import { KmsKeyProvider } from '@strongroom/provider-kms';
import { EncryptedS3Client } from '@strongroom/s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy } from '../../bench/faults/fault-proxy.mjs';

const BUCKET = 'reliability';
const dir = mkdtempSync(join(tmpdir(), 'strongroom-s3-faults-'));
let s3rver: S3rver;
let endpoint: string;
let kms: KmsServer;
let kmsClient: KMSClient;
let keyArn: string;
const s3Clients: S3Client[] = [];
const proxies: Array<Awaited<ReturnType<typeof startFaultProxy>>> = [];
const aes = RawAesKeyProvider({ namespace: 'reliability', name: 'aes', key: Buffer.alloc(32, 3) });

function s3Client(url: string, maxAttempts = 3): S3Client {
  const c = new S3Client({
    endpoint: url, region: 'us-east-1', forcePathStyle: true, maxAttempts,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  s3Clients.push(c);
  return c;
}

beforeAll(async () => {
  s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 's3'), configureBuckets: [{ name: BUCKET }] });
  const { port } = await s3rver.run();
  endpoint = `http://127.0.0.1:${port}`;
  kms = await startKmsServer({ dataDir: join(dir, 'kms') });
  kmsClient = new KMSClient({ endpoint: kms.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
  keyArn = (await kmsClient.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
});

afterAll(async () => {
  for (const p of proxies) await p.close();
  for (const c of s3Clients) c.destroy();
  kmsClient?.destroy();
  await kms?.close();
  await s3rver?.close();
  rmSync(dir, { recursive: true, force: true });
});

const plain = () => s3Client(endpoint);
async function raw(key: string) {
  const r = await plain().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return { metadata: { ...(r.Metadata ?? {}) }, body: Buffer.from(await r.Body!.transformToByteArray()) };
}
async function rewrite(key: string, metadata: Record<string, string>, body: Buffer) {
  await plain().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Metadata: metadata, Body: body }));
}
async function read(c: EncryptedS3Client, key: string, options = {}) {
  const r = await c.getObject({ Bucket: BUCKET, Key: key }, options);
  return Buffer.from(await r.Body!.transformToByteArray());
}
function chunked(data: Buffer, size = 50_000): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
  })());
}

describe('a connection dropped in the middle of a multipart upload', () => {
  async function failingUpload(key: string) {
    // Every attempt at part 3 (the SDK retries 3 times) loses its connection before an answer.
    const requests: string[] = [];
    const proxy = await startFaultProxy({
      target: endpoint,
      rule: ({ method, url }) => {
        requests.push(`${method} ${url}`);
        return method === 'PUT' && /[?&]partNumber=3(&|$)/.test(url) ? 'reset' : 'pass';
      },
    });
    proxies.push(proxy);
    const c = new EncryptedS3Client({ client: s3Client(proxy.endpoint), keyProvider: aes });
    const up = c.upload({ Bucket: BUCKET, Key: key, Body: chunked(randomBytes(500_000)), partSize: 65_536, queueSize: 2 });
    const err = await up.done().then(() => undefined, (e: unknown) => e);
    return { err, requests, proxy };
  }

  it('the upload rejects, AbortMultipartUpload is sent, and no object is visible', async () => {
    const key = 'dropped/new';
    const { err, requests, proxy } = await failingUpload(key);
    expect(err).toBeInstanceOf(Error);
    expect(proxy.counts.reset).toBe(3);
    expect(requests.filter((r) => r.startsWith('DELETE ') && r.includes('uploadId='))).toHaveLength(1);
    expect(requests.some((r) => r.startsWith('POST ') && r.includes('uploadId='))).toBe(false); // never completed
    const got = await plain().send(new GetObjectCommand({ Bucket: BUCKET, Key: key })).catch((e: { name?: string; $metadata?: { httpStatusCode?: number } }) => e);
    expect((got as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(404);
  });

  it('over an existing object, the previous version stays visible and still decrypts', async () => {
    const key = 'dropped/existing';
    const before = randomBytes(10_000);
    const c = new EncryptedS3Client({ client: plain(), keyProvider: aes });
    await c.putObject({ Bucket: BUCKET, Key: key, Body: before });
    const { err } = await failingUpload(key);
    expect(err).toBeInstanceOf(Error);
    expect((await read(c, key)).equals(before)).toBe(true);
  });
});

describe('swapping parts between S3 objects is refused (default mode: no plaintext released)', () => {
  const kmsProvider = () => KmsKeyProvider({ generatorKeyId: keyArn, clientProvider: () => kmsClient });

  it('V3 object with the instruction file of another object', async () => {
    const c = new EncryptedS3Client({ client: plain(), keyProvider: aes, envelopeLocation: 'instruction-file' });
    await c.putObject({ Bucket: BUCKET, Key: 'swap/instr-a', Body: randomBytes(1000) });
    await c.putObject({ Bucket: BUCKET, Key: 'swap/instr-b', Body: randomBytes(1000) });
    const b = await raw('swap/instr-b.instruction');
    await rewrite('swap/instr-a.instruction', b.metadata, b.body);
    const err = await read(c, 'swap/instr-a').catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err)).toBe(true);
    // The object's metadata names its instruction file's SHA-256: the swap is refused before any key
    // is unwrapped (before that binding it failed later, as AUTHENTICATION_FAILED).
    expect((err as StrongroomError).code).toBe('MALFORMED');
    expect((err as StrongroomError).message).toMatch(/matches the object's/);
    // the other object is untouched and the swapped one fails with streaming reads too
    expect((await read(c, 'swap/instr-b')).length).toBe(1000);
    expect(StrongroomError.isInstance(await read(c, 'swap/instr-a', {}).catch((e: unknown) => e))).toBe(true);
  });

  it.each(['v3', 'v2'] as const)('%s object with the wrapped data key of another object', async (format) => {
    const c = new EncryptedS3Client({ client: plain(), keyProvider: aes, format });
    await c.putObject({ Bucket: BUCKET, Key: `swap/${format}-key-a`, Body: randomBytes(500) });
    await c.putObject({ Bucket: BUCKET, Key: `swap/${format}-key-b`, Body: randomBytes(500) });
    const a = await raw(`swap/${format}-key-a`);
    const b = await raw(`swap/${format}-key-b`);
    const field = format === 'v3' ? 'x-amz-3' : 'x-amz-key-v2';
    await rewrite(`swap/${format}-key-a`, { ...a.metadata, [field]: b.metadata[field]! }, a.body);
    expect(StrongroomError.isInstance(await read(c, `swap/${format}-key-a`).catch((e: unknown) => e))).toBe(true);
    // and the whole envelope of B on the body of A
    await rewrite(`swap/${format}-key-a`, b.metadata, a.body);
    expect(StrongroomError.isInstance(await read(c, `swap/${format}-key-a`).catch((e: unknown) => e))).toBe(true);
  });

  it.each(['v3', 'v2'] as const)('%s kms+context object with the encryption context of another object', async (format) => {
    const c = new EncryptedS3Client({ client: plain(), keyProvider: kmsProvider(), format });
    await c.putObject({ Bucket: BUCKET, Key: `swap/${format}-ctx-a`, Body: randomBytes(500) }, { encryptionContext: { tenant: 'a' } });
    await c.putObject({ Bucket: BUCKET, Key: `swap/${format}-ctx-b`, Body: randomBytes(500) }, { encryptionContext: { tenant: 'b' } });
    expect((await read(c, `swap/${format}-ctx-a`, { encryptionContext: { tenant: 'a' } })).length).toBe(500);
    const a = await raw(`swap/${format}-ctx-a`);
    const b = await raw(`swap/${format}-ctx-b`);
    const field = format === 'v3' ? 'x-amz-t' : 'x-amz-matdesc';
    expect(a.metadata[field]).toBeDefined();
    await rewrite(`swap/${format}-ctx-a`, { ...a.metadata, [field]: b.metadata[field]! }, a.body);
    // Expecting the context of B (as a reader of B would) or not expecting any: both refused.
    for (const options of [{ encryptionContext: { tenant: 'b' } }, {}]) {
      const err = await read(c, `swap/${format}-ctx-a`, options).catch((e: unknown) => e);
      expect(StrongroomError.isInstance(err), String(err)).toBe(true);
    }
  });
});
