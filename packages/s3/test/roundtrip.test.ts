import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { StrongroomError, type KeyProvider } from '@strongroom/core';
import { EncryptedS3Client } from '../src/index';
import type { LocalS3 } from './helpers/s3rver';
import { s3Servers } from './helpers/s3-servers';
import { aesProvider, rsaProvider } from './helpers/providers';

let s3: LocalS3;

describe.each(s3Servers('roundtrip'))('on %s', (_server, startServer) => {
  beforeAll(async () => {
    s3 = await startServer();
  });
  afterAll(async () => {
    await s3?.close();
  });

  const providers: Record<string, () => KeyProvider> = {
    'AES/GCM': () => aesProvider(),
    'RSA-OAEP-SHA1': () => rsaProvider(),
  };

  async function raw(key: string) {
    const r = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    return { metadata: r.Metadata ?? {}, body: Buffer.from(await r.Body!.transformToByteArray()) };
  }

  describe.each(['v3', 'v2'] as const)('format %s', (format) => {
    describe.each(Object.keys(providers))('wrap %s', (wrap) => {
      describe.each(['metadata', 'instruction-file'] as const)('envelope in %s', (envelopeLocation) => {
        const client = () => new EncryptedS3Client({ client: s3.client, keyProvider: providers[wrap]!(), format, envelopeLocation });

        it.each([0, 1, 15, 16, 17, 1000, 1 << 20])('round-trips %i bytes through put/get/head', async (size) => {
          const c = client();
          const key = `rt/${format}/${wrap}/${envelopeLocation}/${size}`;
          const plaintext = randomBytes(size);
          await c.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: plaintext, Metadata: { owner: 'me' } }));
          const stored = await raw(key);
          expect(stored.body.length).toBe(size + 16);
          if (size >= 16) expect(stored.body.includes(plaintext.subarray(0, 16))).toBe(false);
          const envKey = format === 'v3' ? 'x-amz-c' : 'x-amz-key-v2';
          if (envelopeLocation === 'metadata') {
            expect(stored.metadata[envKey] ?? stored.metadata['x-amz-3']).toBeDefined();
          } else {
            const instr = JSON.parse((await raw(`${key}.instruction`)).body.toString());
            expect(format === 'v3' ? instr['x-amz-3'] : instr['x-amz-key-v2']).toBeDefined();
            if (format === 'v3') {
              // spec: x-amz-c/d/i stay in object metadata
              expect(stored.metadata['x-amz-c']).toBe('115');
              expect(instr['x-amz-c']).toBeUndefined();
            } else {
              expect(stored.metadata['x-amz-key-v2']).toBeUndefined();
            }
          }
          const got = await c.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
          expect(got.ContentLength).toBe(size);
          expect(got.Metadata?.owner).toBe('me');
          expect(Buffer.from(await got.Body!.transformToByteArray()).equals(plaintext)).toBe(true);
          const head = await c.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
          expect(head.ContentLength).toBe(size);
        });

        it('encrypts a stream body with ContentLength and deletes the instruction file', async () => {
          const c = client();
          const key = `stream/${format}/${wrap}/${envelopeLocation}`;
          const plaintext = randomBytes(300_000);
          const chunks = [plaintext.subarray(0, 1000), plaintext.subarray(1000, 200_000), plaintext.subarray(200_000)];
          await c.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: Readable.from(chunks), ContentLength: plaintext.length }));
          const got = await c.getObject({ Bucket: s3.bucket, Key: key });
          expect(Buffer.from(await got.Body!.transformToByteArray()).equals(plaintext)).toBe(true);
          await c.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: key }));
          const list = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: key }));
          expect(list.KeyCount ?? 0).toBe(0);
        });
      });
    });
  });

  describe('EncryptedS3Client behaviour', () => {
    const aes = () => aesProvider();

    it('reads V2 objects with a V3 writer under REQUIRE_ENCRYPT_ALLOW_DECRYPT, refuses under REQUIRE_DECRYPT', async () => {
      const v2 = new EncryptedS3Client({ client: s3.client, keyProvider: aes(), format: 'v2' });
      await v2.putObject({ Bucket: s3.bucket, Key: 'policy/v2', Body: 'hello' });
      const v3 = new EncryptedS3Client({ client: s3.client, keyProvider: aes() });
      expect(await (await v3.getObject({ Bucket: s3.bucket, Key: 'policy/v2' })).Body!.transformToString()).toBe('hello');
      const strict = new EncryptedS3Client({ client: s3.client, keyProvider: aes(), commitmentPolicy: 'REQUIRE_ENCRYPT_REQUIRE_DECRYPT' });
      await expect(strict.getObject({ Bucket: s3.bucket, Key: 'policy/v2' })).rejects.toMatchObject({ code: 'COMMITMENT_POLICY' });
      expect(() => new EncryptedS3Client({ client: s3.client, keyProvider: aes(), format: 'v2', commitmentPolicy: 'REQUIRE_ENCRYPT_ALLOW_DECRYPT' })).toThrow(StrongroomError);
    });

    it('fails with NO_DECRYPTION_KEY under the wrong key and tries every provider in order', async () => {
      const writer = new EncryptedS3Client({ client: s3.client, keyProvider: aes() });
      await writer.putObject({ Bucket: s3.bucket, Key: 'keys/one', Body: 'x' });
      const wrong = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider(Buffer.alloc(32, 8)) });
      await expect(wrong.getObject({ Bucket: s3.bucket, Key: 'keys/one' })).rejects.toMatchObject({ code: 'NO_DECRYPTION_KEY' });
      const both = new EncryptedS3Client({
        client: s3.client,
        keyProviders: [aesProvider(Buffer.alloc(32, 8)), rsaProvider(), aes()],
      });
      expect(await (await both.getObject({ Bucket: s3.bucket, Key: 'keys/one' })).Body!.transformToString()).toBe('x');
    });

    it('refuses an encryptionContext on a GET of a raw-key (AES/GCM, RSA) object: nothing stored could check it', async () => {
      for (const [name, provider] of [['aes', aes()], ['rsa', rsaProvider()]] as const) {
        for (const format of ['v3', 'v2'] as const) {
          const c = new EncryptedS3Client({ client: s3.client, keyProvider: provider, format });
          const key = `ctx-unchecked/${name}/${format}`;
          await c.putObject({ Bucket: s3.bucket, Key: key, Body: 'tenant-a data' });
          // Before the fix this read succeeded: the caller's context was silently ignored.
          await expect(c.getObject({ Bucket: s3.bucket, Key: key }, { encryptionContext: { tenant: 'tenant-b' } })).rejects.toMatchObject({
            code: 'ENCRYPTION_CONTEXT',
            message: expect.stringContaining('cannot be checked'),
          });
          expect(await (await c.getObject({ Bucket: s3.bucket, Key: key })).Body!.transformToString()).toBe('tenant-a data');
        }
      }
    });

    it('refuses plaintext objects and reserved metadata names', async () => {
      await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'plain', Body: 'x' }));
      const c = new EncryptedS3Client({ client: s3.client, keyProvider: aes() });
      await expect(c.getObject({ Bucket: s3.bucket, Key: 'plain' })).rejects.toMatchObject({ code: 'MALFORMED' });
      await expect(c.putObject({ Bucket: s3.bucket, Key: 'k', Body: 'x', Metadata: { 'x-amz-iv': 'a' } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(c.putObject({ Bucket: s3.bucket, Key: 'k', Body: 'x', ContentMD5: 'abc' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });

    it('enforces bufferSize before releasing plaintext, and streams with delayedAuthentication', async () => {
      const w = new EncryptedS3Client({ client: s3.client, keyProvider: aes() });
      const plaintext = randomBytes(100_000);
      await w.putObject({ Bucket: s3.bucket, Key: 'buf/big', Body: plaintext });
      const small = new EncryptedS3Client({ client: s3.client, keyProvider: aes(), bufferSize: 50_000 });
      const err = await small.getObject({ Bucket: s3.bucket, Key: 'buf/big' }).catch((e) => e);
      expect(err).toMatchObject({ code: 'LIMIT_EXCEEDED' });
      expect(String(err.message)).toMatch(/bufferSize.*delayedAuthentication/);
      const delayed = new EncryptedS3Client({ client: s3.client, keyProvider: aes(), delayedAuthentication: true });
      const got = await delayed.getObject({ Bucket: s3.bucket, Key: 'buf/big' });
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(plaintext)).toBe(true);
      expect(() => new EncryptedS3Client({ client: s3.client, keyProvider: aes(), delayedAuthentication: true, bufferSize: 10 })).toThrow(StrongroomError);
    });

    it('DeleteObjects also deletes instruction files; other commands pass through', async () => {
      const c = new EncryptedS3Client({ client: s3.client, keyProvider: aes(), envelopeLocation: 'instruction-file' });
      for (const k of ['del/a', 'del/b']) await c.putObject({ Bucket: s3.bucket, Key: k, Body: k });
      const listed = await c.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'del/' }));
      expect(listed.KeyCount).toBe(4);
      await c.send(new DeleteObjectsCommand({ Bucket: s3.bucket, Delete: { Objects: [{ Key: 'del/a' }, { Key: 'del/b' }] } }));
      const after = await s3.client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'del/' }));
      expect(after.KeyCount ?? 0).toBe(0);
    });

    it('honours an aborted signal', async () => {
      const c = new EncryptedS3Client({ client: s3.client, keyProvider: aes() });
      const ac = new AbortController();
      ac.abort();
      await expect(c.putObject({ Bucket: s3.bucket, Key: 'ab', Body: 'x' }, { abortSignal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    });
  });
});
