/**
 * The streaming download paths decrypt the response's own chunks into the stream the caller reads
 * (src/body-pump.ts, src/parallel-download.ts). A response cut short by the network must fail that
 * stream — never end it cleanly with a prefix — and a consumer that stops early must release the
 * connection. A relay on 127.0.0.1 serves objects stored in s3rver and, when told, closes the
 * connection halfway through a body (as a reset link does); the clients talk to it over real sockets.
 * HTTP message framing: RFC 9112 §6.3 (a body shorter than its Content-Length is incomplete).
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { EncryptedS3Client } from '../src/index';
import { aesProvider } from './helpers/providers';
import { s3ClientFor, startS3, type LocalS3 } from './helpers/s3rver';

let s3: LocalS3;
let relay: Server;
let relayEndpoint: string;
/** Keys whose GET bodies the relay cuts after half their bytes. */
const cut = new Set<string>();
/** Connections the relay saw close, by object key. */
const closed: string[] = [];

/**
 * Forward a request to s3rver; for keys in `cut`, bodies of 64 KiB or more (not the 4 KiB header
 * probe) stop halfway and the connection is destroyed.
 */
function startRelay(target: URL): Promise<void> {
  relay = createServer((req, res) => {
    const key = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.split('/').slice(2).join('/'));
    req.socket.once('close', () => closed.push(key));
    const up = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers as IncomingHttpHeaders);
      const length = Number(upRes.headers['content-length'] ?? 0);
      if (req.method !== 'GET' || !cut.has(key) || length < 64 * 1024) {
        upRes.pipe(res);
        return;
      }
      let sent = 0;
      upRes.on('data', (chunk: Buffer) => {
        const room = Math.floor(length / 2) - sent;
        if (room <= 0) return;
        res.write(chunk.subarray(0, room));
        sent += Math.min(room, chunk.length);
        if (sent >= Math.floor(length / 2)) setTimeout(() => res.socket?.destroy(), 20);
      });
    });
    req.pipe(up);
  });
  relay.keepAliveTimeout = 120_000; // idle connections stay open: only the client closes them in these tests
  return new Promise((resolve) => relay.listen(0, '127.0.0.1', () => resolve()));
}

/** Read a body to its end; what arrived and how it ended. */
async function drain(body: AsyncIterable<Uint8Array>): Promise<{ bytes: number; error?: unknown }> {
  let bytes = 0;
  try {
    for await (const c of body) bytes += c.length;
    return { bytes };
  } catch (error) {
    return { bytes, error };
  }
}

describe('a response cut short, a consumer that stops early', () => {
  const SIZE = 3 * 1024 * 1024 + 5;
  const data = randomBytes(SIZE);
  beforeAll(async () => {
    s3 = await startS3();
    await startRelay(new URL(s3.endpoint));
    relayEndpoint = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
    const v3 = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider() });
    const framed = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider(), format: 'framed', frameLength: 4096 });
    await v3.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'cut/v3', Body: data }));
    await framed.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'cut/framed', Body: data }));
  });
  afterAll(async () => {
    await new Promise((r) => relay?.close(r));
    await s3?.close();
  });

  const clients = () => {
    const client = s3ClientFor(relayEndpoint);
    return {
      client,
      v3: new EncryptedS3Client({ client, keyProvider: aesProvider(), delayedAuthentication: true }),
      framed: new EncryptedS3Client({ client, keyProvider: aesProvider(), format: 'framed' }),
    };
  };

  it.each([
    ['V3 with delayed authentication', 'cut/v3', 'get'],
    ['framed GetObject', 'cut/framed', 'get'],
    ['framed download()', 'cut/framed', 'download'],
  ] as const)('%s: a body cut halfway errors the stream (no clean end with a prefix)', async (_name, key, how) => {
    const c = clients();
    cut.add(key);
    try {
      const enc = key === 'cut/v3' ? c.v3 : c.framed;
      const out =
        how === 'get'
          ? await enc.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))
          : await enc.download({ Bucket: s3.bucket, Key: key, partSize: 1024 * 1024, concurrency: 2 });
      const got = await drain(out.Body as AsyncIterable<Uint8Array>);
      expect(got.error, 'the stream must fail').toBeDefined();
      expect(got.bytes).toBeLessThan(SIZE);
    } finally {
      cut.delete(key);
      c.client.destroy();
    }
  });

  it.each([
    ['V3 with delayed authentication', 'cut/v3'],
    ['framed GetObject', 'cut/framed'],
  ] as const)('%s: the whole body when nothing is cut, and a consumer that stops early frees the connection', async (_name, key) => {
    const c = clients();
    const enc = key === 'cut/v3' ? c.v3 : c.framed;
    try {
      const whole = await enc.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
      const parts: Buffer[] = [];
      for await (const chunk of whole.Body as AsyncIterable<Uint8Array>) parts.push(Buffer.from(chunk));
      expect(Buffer.concat(parts).equals(data)).toBe(true);

      const before = closed.filter((k) => k === key).length;
      const early = await enc.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
      for await (const _chunk of early.Body as AsyncIterable<Uint8Array>) break; // leaving the loop destroys the stream
      // The connection the response came on is closed (not left holding the rest of the body).
      await expect.poll(() => closed.filter((k) => k === key).length, { timeout: 10_000 }).toBeGreaterThan(before);
    } finally {
      c.client.destroy();
    }
  });
});
