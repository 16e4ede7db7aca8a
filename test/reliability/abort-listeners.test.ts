/**
 * A long-lived AbortSignal — a server's shutdown signal handed to every operation, say — must not
 * collect a listener per operation. Every place that takes a caller's `abortSignal` adds an 'abort'
 * listener while the operation runs; one left behind after the operation settled keeps its closure
 * (a request's resolve/reject, a socket, a stream) alive for the signal's lifetime: memory that grows
 * with the number of operations, and Node's MaxListenersExceededWarning after ten.
 *
 * Each case runs many operations — succeeding and failing — with one signal and then counts the
 * signal's 'abort' listeners (node:events getEventListeners): zero once everything settled. Real
 * servers over real sockets: hsm-local node processes, kms-local, s3rver.
 */
import { getEventListeners } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { createClient, RawAesKeyProvider, StrongroomError } from '@strongroom/core';
import * as web from '@strongroom/core/web';
import { connectHsmNode } from '@strongroom/hsm-protocol';
import { startKmsServer, type KmsServer } from '@strongroom/kms-local';
import { connectHsmCluster, HsmKeyProvider, type HsmClusterClient } from '@strongroom/provider-hsm';
import { KmsKeyProvider } from '@strongroom/provider-kms';
import { EncryptedS3Client } from '@strongroom/s3';
import { DEFAULT_CRYPTO_USER, freePort, startHsmCluster, type LocalHsmCluster } from '@strongroom/testing';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROUNDS = 12; // more than Node's default of 10 listeners per event before it warns
const dir = mkdtempSync(join(tmpdir(), 'strongroom-abort-listeners-'));
const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;
const settle = (p: Promise<unknown>) => p.then(() => 'ok', () => 'failed');
const aes = RawAesKeyProvider({ namespace: 'abort', name: 'aes', key: randomBytes(32) });

/** The buffer API of either entry's client. */
interface BufferClient {
  encrypt(plaintext: Uint8Array, options: { abortSignal: AbortSignal }): Promise<{ ciphertext: Uint8Array }>;
  decrypt(ciphertext: Uint8Array, options: { abortSignal: AbortSignal }): Promise<unknown>;
}

/** One encrypt, one decrypt that opens and one of a tampered copy that fails, all under `signal`; returns both messages. */
async function bufferRound(client: BufferClient, signal: AbortSignal): Promise<{ ciphertext: Uint8Array; bad: Uint8Array }> {
  const { ciphertext } = await client.encrypt(randomBytes(5000), { abortSignal: signal });
  const bad = new Uint8Array(ciphertext);
  bad[bad.length - 40]! ^= 1;
  expect(await settle(client.decrypt(ciphertext, { abortSignal: signal }))).toBe('ok');
  expect(await settle(client.decrypt(bad, { abortSignal: signal }))).toBe('failed');
  return { ciphertext, bad };
}

let cluster: LocalHsmCluster;
let hsm: HsmClusterClient;
let kms: KmsServer;
let kmsClient: KMSClient;
let keyArn: string;
let s3rver: S3rver;
let s3: S3Client;
const BUCKET = 'abort-listeners';

beforeAll(async () => {
  [cluster, kms] = await Promise.all([startHsmCluster(), startKmsServer({ dataDir: join(dir, 'kms') })]);
  hsm = await connectHsmCluster({
    nodes: cluster.urls.map((url, i) => ({ url, az: cluster.info.nodes[i]!.az })),
    trustAnchor: cluster.info.trustAnchor,
    clientCert: cluster.info.clientCert,
    ...DEFAULT_CRYPTO_USER,
  });
  await hsm.generateAesKey({ label: 'abort-kek', bits: 256 });
  kmsClient = new KMSClient({ endpoint: kms.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' } });
  keyArn = (await kmsClient.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
  s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 's3'), configureBuckets: [{ name: BUCKET }] });
  const { port } = await s3rver.run();
  s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
}, 180_000);

afterAll(async () => {
  await hsm?.close();
  await cluster?.stopAll();
  kmsClient?.destroy();
  s3?.destroy();
  await kms?.close();
  await s3rver?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('one AbortSignal for many operations: no listener outlives its operation', () => {
  it('an HSM node connection: calls that answer and calls that fail; a connect that fails', async () => {
    const signal = new AbortController().signal;
    const conn = await connectHsmNode({ url: cluster.urls[0]!, trustAnchor: cluster.info.trustAnchor, clientCert: cluster.info.clientCert, abortSignal: signal });
    try {
      expect(listeners(signal)).toBe(0); // the connect's own listener is gone once connected
      for (let i = 0; i < ROUNDS; i++) {
        expect(await settle(conn.call('hello', {}, { abortSignal: signal }))).toBe('ok');
        expect(await settle(conn.call('key.find', {}, { abortSignal: signal }))).toBe('failed'); // not logged in
      }
      expect(listeners(signal)).toBe(0);
    } finally {
      conn.close();
    }
    const closed = `tls://127.0.0.1:${await freePort()}`; // nobody listens there
    for (let i = 0; i < ROUNDS; i++) {
      expect(await settle(connectHsmNode({ url: closed, trustAnchor: cluster.info.trustAnchor, clientCert: cluster.info.clientCert, abortSignal: signal }))).toBe('failed');
    }
    expect(listeners(signal)).toBe(0);
    // A signal aborted before the connect: refused at once, typed, with nothing dialed or kept.
    const aborted = AbortSignal.abort(new Error('shutting down'));
    const err = await connectHsmNode({ url: cluster.urls[0]!, trustAnchor: cluster.info.trustAnchor, clientCert: cluster.info.clientCert, abortSignal: aborted }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(StrongroomError.isInstance(err, 'ABORTED')).toBe(true);
    expect(listeners(aborted)).toBe(0);
  });

  it('HsmKeyProvider over the cluster, through a client: encrypt and decrypt (and a wrong context)', async () => {
    const signal = new AbortController().signal;
    const client = createClient({ keyProvider: HsmKeyProvider({ backend: hsm, keyLabel: 'abort-kek' }) });
    for (let i = 0; i < ROUNDS; i++) {
      const { ciphertext } = await client.encrypt(`message ${i}`, { encryptionContext: { i: String(i) }, abortSignal: signal });
      expect(await settle(client.decrypt(ciphertext, { abortSignal: signal }))).toBe('ok');
      expect(await settle(client.decrypt(ciphertext, { abortSignal: signal, expectedEncryptionContext: { i: 'other' } }))).toBe('failed');
    }
    expect(listeners(signal)).toBe(0);
  });

  it('KmsKeyProvider against kms-local: encrypt, decrypt, and a key that does not exist', async () => {
    const signal = new AbortController().signal;
    const client = createClient({ keyProvider: KmsKeyProvider({ generatorKeyId: keyArn, clientProvider: () => kmsClient }) });
    const missing = createClient({ keyProvider: KmsKeyProvider({ generatorKeyId: keyArn.replace(/key\/.*/, `key/${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`), clientProvider: () => kmsClient }) });
    for (let i = 0; i < ROUNDS; i++) {
      const { ciphertext } = await client.encrypt(`message ${i}`, { abortSignal: signal });
      expect(await settle(client.decrypt(ciphertext, { abortSignal: signal }))).toBe('ok');
      expect(await settle(missing.encrypt('x', { abortSignal: signal }))).toBe('failed');
    }
    expect(listeners(signal)).toBe(0);
  });

  it('the core client: buffers and streams, whole and tampered', async () => {
    const signal = new AbortController().signal;
    const client = createClient({ keyProvider: aes, frameLength: 1024 });
    const drain = async (s: AsyncIterable<unknown>) => {
      for await (const _ of s);
    };
    for (let i = 0; i < ROUNDS; i++) {
      const { ciphertext, bad } = await bufferRound(client, signal);
      expect(await settle(drain(client.encryptStream(Readable.from([randomBytes(5000)]), { abortSignal: signal })))).toBe('ok');
      expect(await settle(drain(client.decryptStream(Readable.from([ciphertext]), { abortSignal: signal })))).toBe('ok');
      expect(await settle(drain(client.decryptStream(Readable.from([bad]), { abortSignal: signal })))).toBe('failed');
    }
    expect(listeners(signal)).toBe(0);
  });

  it('the web entry (Web Crypto, Web Streams): buffers and streams, whole, tampered, and a reader that cancels', async () => {
    const signal = new AbortController().signal;
    const client = web.createClient({ keyProvider: web.RawAesKeyProvider({ namespace: 'abort', name: 'aes', key: randomBytes(32) }), frameLength: 1024 });
    const readAll = async (s: ReadableStream<Uint8Array>) => {
      const reader = s.getReader();
      while (!(await reader.read()).done);
    };
    for (let i = 0; i < ROUNDS; i++) {
      const { ciphertext, bad } = await bufferRound(client, signal);
      expect(await settle(readAll(client.encryptStream(randomBytes(5000), { abortSignal: signal }).readable))).toBe('ok');
      expect(await settle(readAll(client.decryptStream(ciphertext, { abortSignal: signal }).readable))).toBe('ok');
      expect(await settle(readAll(client.decryptStream(bad, { abortSignal: signal }).readable))).toBe('failed');
      // A reader that takes one piece and cancels while nothing is in flight: the stream ends there,
      // and so does its listener (no write will ever come to notice).
      const { readable, writable } = client.encryptStream({ abortSignal: signal });
      const [reader, writer] = [readable.getReader(), writable.getWriter()];
      const wrote = writer.write(randomBytes(3000));
      await reader.read();
      await wrote;
      await reader.cancel(new Error('the page navigated away'));
    }
    expect(listeners(signal)).toBe(0);
  });

  it('EncryptedS3Client against s3rver: put, get, multipart upload and download, and a missing object', async () => {
    const signal = new AbortController().signal;
    const c = new EncryptedS3Client({ client: s3, keyProvider: aes });
    const body = randomBytes(200_000);
    for (let i = 0; i < ROUNDS; i++) {
      await c.putObject({ Bucket: BUCKET, Key: `put-${i}`, Body: body }, { abortSignal: signal });
      const got = await c.getObject({ Bucket: BUCKET, Key: `put-${i}` }, { abortSignal: signal });
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
      await c.upload({ Bucket: BUCKET, Key: `up-${i}`, Body: Readable.from([body, body]), partSize: 5 * 1024 * 1024, abortSignal: signal }).done();
      const down = await c.download({ Bucket: BUCKET, Key: `up-${i}`, abortSignal: signal });
      let n = 0;
      for await (const chunk of down.Body as Readable) n += (chunk as Buffer).length;
      expect(n).toBe(2 * body.length);
      expect(await settle(c.getObject({ Bucket: BUCKET, Key: `missing-${i}` }, { abortSignal: signal }))).toBe('failed');
    }
    expect(listeners(signal)).toBe(0);
  });
});
