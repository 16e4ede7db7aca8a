/**
 * encrypt-before-upload: a small HTTP upload service. `PUT /objects/<key>` streams the request body
 * through client-side encryption straight into an S3 multipart upload (bounded memory, any size);
 * `GET /objects/<key>` streams the object back, decrypted and authenticated. S3 only ever sees
 * ciphertext (Amazon S3 Encryption Client V3 format, so other S3EC clients can read it too).
 *
 * The key provider is whatever you pass: KMS, the HSM cluster, a custom key store or a raw key.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { StrongroomError, type KeyProvider } from '@strongroom/core';
import { EncryptedS3Client } from '@strongroom/s3';

export interface UploadServiceOptions {
  s3: S3Client;
  bucket: string;
  keyProvider: KeyProvider;
  /** KMS key ARNs objects may be wrapped under (needed to read kms+context objects). */
  kmsKeyIds?: string[];
  /** Encryption context bound to every object (KMS keys only): who uploaded it, for what. */
  encryptionContext?: Record<string, string>;
  /** Largest accepted body (default 1 GiB). */
  maxBytes?: number;
}

export interface UploadService {
  readonly url: string;
  close(): Promise<void>;
}

const KEY = /^[A-Za-z0-9._-][A-Za-z0-9._/-]{0,255}$/;

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Start the service on 127.0.0.1 (port 0 = any free port).
 * @example
 * const svc = await startUploadService({ s3, bucket: 'uploads', keyProvider }, 8080);
 * // curl -T big.iso http://127.0.0.1:8080/objects/big.iso ; curl http://127.0.0.1:8080/objects/big.iso
 */
export async function startUploadService(options: UploadServiceOptions, port = 0): Promise<UploadService> {
  const s3 = new EncryptedS3Client({ client: options.s3, keyProvider: options.keyProvider, ...(options.kmsKeyIds ? { kmsKeyIds: options.kmsKeyIds } : {}) });
  const maxBytes = options.maxBytes ?? 1024 ** 3;
  const context = options.encryptionContext;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const key = url.pathname.startsWith('/objects/') ? decodeURIComponent(url.pathname.slice('/objects/'.length)) : undefined;
    if (!key || !KEY.test(key) || key.includes('..')) return reply(res, 404, { error: 'use /objects/<key>' });
    if (req.method === 'PUT') {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > maxBytes) return reply(res, 413, { error: `larger than ${maxBytes} bytes` });
      const upload = s3.upload({ Bucket: options.bucket, Key: key, Body: req, ContentType: req.headers['content-type'] ?? 'application/octet-stream', ...(context ? { encryptionContext: context } : {}) });
      let loaded = 0;
      upload.on('httpUploadProgress', (p: { loaded?: number }) => (loaded = p.loaded ?? loaded));
      await upload.done();
      return reply(res, 201, { key, bytes: loaded });
    }
    if (req.method === 'GET') {
      let out;
      try {
        out = await s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }), context ? { encryptionContext: context } : {});
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchKey') return reply(res, 404, { error: 'no such object' });
        throw error;
      }
      res.writeHead(200, { 'content-type': out.ContentType ?? 'application/octet-stream' });
      await pipeline(out.Body as Readable, res);
      return;
    }
    reply(res, 405, { error: 'PUT or GET' });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // Never echo plaintext or keys; a typed code is enough for the caller.
      const code = StrongroomError.isInstance(error) ? error.code : 'INTERNAL';
      if (!res.headersSent) reply(res, StrongroomError.isInstance(error, 'AUTHENTICATION_FAILED') ? 422 : 500, { error: code });
      else res.destroy();
      req.resume();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () => new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
