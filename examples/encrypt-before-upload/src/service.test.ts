/**
 * Runs the upload service for real against the dev stack: a streamed 9 MiB upload (two encrypted
 * multipart parts) through each backend, read back decrypted over HTTP; S3 holds only ciphertext.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyProviderFromUri, s3ClientFor, startDevStack, type DevStack, type OpenedProvider } from '@strongroom/cli';
import { startUploadService, type UploadService } from './service';

let stack: DevStack;
let tmp: string;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'example-upload-'));
  stack = await startDevStack({ dir: join(tmp, 'stack') });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('encrypt-before-upload service', () => {
  it.each(['kms', 'hsm', 'cks'])('streams uploads encrypted to S3 and serves them decrypted (%s)', async (kind) => {
    const uri = kind === 'kms' ? 'kms://alias/strongroom-dev' : kind === 'hsm' ? `hsm://${stack.config.keyLabel}` : 'cks://alias/strongroom-dev-cks';
    if (kind === 'cks' && !stack.config.cks.available) {
      console.warn(`[skip] cks: ${stack.config.cks.reason}`);
      return;
    }
    const s3 = s3ClientFor(stack.config.s3);
    let opened: OpenedProvider | undefined;
    let svc: UploadService | undefined;
    try {
      opened = await keyProviderFromUri(uri, { config: stack.config });
      svc = await startUploadService({
        s3,
        bucket: stack.config.s3.bucket,
        keyProvider: opened.provider,
        ...(opened.kmsKeyArn ? { kmsKeyIds: [opened.kmsKeyArn], encryptionContext: { service: 'upload-example' } } : {}),
      });
      const body = randomBytes(9 * 1024 * 1024 + 3);
      // Stream the request body in 64 KiB chunks (no content-length: chunked transfer).
      const chunks = Array.from({ length: Math.ceil(body.length / 65536) }, (_, i) => body.subarray(i * 65536, (i + 1) * 65536));
      const put = await fetch(`${svc.url}/objects/docs/${kind}.bin`, { method: 'PUT', body: Readable.toWeb(Readable.from(chunks)) as ReadableStream, duplex: 'half' } as RequestInit);
      expect(put.status).toBe(201);
      expect(await put.json()).toEqual({ key: `docs/${kind}.bin`, bytes: body.length });

      const stored = await s3.send(new GetObjectCommand({ Bucket: stack.config.s3.bucket, Key: `docs/${kind}.bin` }));
      const ciphertext = await stored.Body!.transformToByteArray();
      expect(ciphertext.length).toBe(body.length + 16); // AES-GCM tag
      expect(sha(ciphertext)).not.toBe(sha(body));

      const got = await fetch(`${svc.url}/objects/docs/${kind}.bin`);
      expect(got.status).toBe(200);
      expect(sha(new Uint8Array(await got.arrayBuffer()))).toBe(sha(body));

      expect((await fetch(`${svc.url}/objects/missing`)).status).toBe(404);
      expect((await fetch(`${svc.url}/nope`)).status).toBe(404);
    } finally {
      await svc?.close();
      await opened?.close();
      s3.destroy();
    }
  });
});
