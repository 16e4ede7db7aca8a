/**
 * Framed objects (`format: 'framed'`) on s3rver and Ceph RGW: round trips through PutObject and
 * upload(), authenticated ranged GETs with S3's range semantics, HEAD lengths, and the attacks —
 * a copied object, swapped objects, a truncated body, a frame spliced in from another object,
 * flipped bytes inside and outside a range, a forged length in metadata, a range past the end.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { createClient, parseHeader, StrongroomError } from '@strongroom/core';
import { buildClient, CommitmentPolicy, RawAesKeyringNode, RawAesWrappingSuiteIdentifier } from '@aws-crypto/client-node';
import { BUCKET_CONTEXT_KEY, EncryptedS3Client, FRAMED_FORMAT_METADATA, FRAMED_FORMAT_VALUE, KEY_CONTEXT_KEY } from '../src/index';
import type { LocalS3 } from './helpers/s3rver';
import { s3Servers } from './helpers/s3-servers';
import { AES_KEY, aesProvider } from './helpers/providers';

/** The AWS Encryption SDK for JavaScript, with the same raw AES key as aesProvider(). */
const esdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const esdkKeyring = () =>
  new RawAesKeyringNode({
    keyNamespace: 's3-test',
    keyName: 'aes-1',
    unencryptedMasterKey: new Uint8Array(AES_KEY),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
    utf8Sorting: true,
  });

const FRAME = 4096;
let s3: LocalS3;

/** Run `fn`, expecting a StrongroomError; returns its code. */
async function failure(fn: () => Promise<unknown>): Promise<string> {
  const error = await fn().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(StrongroomError.isInstance(error), `expected a StrongroomError, got ${String(error)}`).toBe(true);
  return (error as StrongroomError).code;
}

function chunked(data: Buffer, size = 1000): Readable {
  return Readable.from((function* () {
    for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
  })());
}

describe.each(s3Servers('framed objects'))('framed objects on %s', (_server, startServer) => {
  beforeAll(async () => {
    s3 = await startServer();
  });
  afterAll(async () => {
    await s3?.close();
  });

  const framed = (extra: Partial<ConstructorParameters<typeof EncryptedS3Client>[0]> = {}) =>
    new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider(), format: 'framed', frameLength: FRAME, ...extra });
  const raw = async (key: string) => {
    const r = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    return { body: Buffer.from(await r.Body!.transformToByteArray()), metadata: r.Metadata ?? {} };
  };
  const read = async (c: EncryptedS3Client, key: string, range?: string) => {
    const r = await c.getObject({ Bucket: s3.bucket, Key: key, Range: range });
    return { body: Buffer.from(await r.Body!.transformToByteArray()), r };
  };

  describe('round trips', () => {
    for (const size of [0, 1, FRAME - 1, FRAME, FRAME + 1, 3 * FRAME + 5, 70_001]) {
      it(`${size} bytes: PutObject from memory and from a stream, upload() in parts; HEAD and GET report the plaintext length`, async () => {
        const c = framed();
        const data = randomBytes(size);
        await c.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `rt/${size}/mem`, Body: data }));
        await c.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `rt/${size}/stream`, Body: chunked(data), ContentLength: size }));
        await c.upload({ Bucket: s3.bucket, Key: `rt/${size}/upload`, Body: chunked(data, 777), partSize: 16 * FRAME, queueSize: 3 }).done();
        for (const how of ['mem', 'stream', 'upload']) {
          const key = `rt/${size}/${how}`;
          const { body, r } = await read(c, key);
          expect(body.equals(data)).toBe(true);
          expect(r.ContentLength).toBe(size);
          const head = await c.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
          expect(head.ContentLength).toBe(size);
          // The body is an ESDK v2 message of suite 0x0478; metadata only marks the format.
          const stored = await raw(key);
          expect(stored.metadata[FRAMED_FORMAT_METADATA]).toBe(FRAMED_FORMAT_VALUE);
          expect(Object.keys(stored.metadata).filter((k) => k.startsWith('x-amz-'))).toEqual([]);
          const header = parseHeader(stored.body, { maxEncryptedDataKeys: 10 })!.header;
          expect(header.suite.id).toBe(0x0478);
          expect(header.frameLength).toBe(FRAME);
          // Bucket and key are authenticated, not stored.
          expect(stored.body.includes(Buffer.from(key))).toBe(false);
        }
      });
    }

    it('a multi-part upload() of 300 KB (several parts of whole frames) reads back', async () => {
      const c = framed();
      const data = randomBytes(300_000);
      const progress: number[] = [];
      const up = c.upload({ Bucket: s3.bucket, Key: 'rt/parts', Body: chunked(data, 10_000), partSize: 16 * FRAME, queueSize: 2 });
      up.on('httpUploadProgress', (p: { loaded?: number }) => progress.push(p.loaded ?? 0));
      await up.done();
      expect(Math.max(...progress)).toBe(data.length);
      expect((await read(c, 'rt/parts')).body.equals(data)).toBe(true);
    });

    it('an object far larger than bufferSize streams (V3 would refuse it), frame by frame', async () => {
      const c = framed({ bufferSize: 64 * 1024 });
      const data = randomBytes(3 * 1024 * 1024 + 7);
      await c.upload({ Bucket: s3.bucket, Key: 'rt/large', Body: chunked(data, 65_536), partSize: 256 * FRAME }).done();
      const r = await c.getObject({ Bucket: s3.bucket, Key: 'rt/large' });
      expect(r.ContentLength).toBe(data.length);
      let offset = 0;
      for await (const chunk of r.Body as Readable) {
        expect((chunk as Buffer).equals(data.subarray(offset, offset + chunk.length))).toBe(true);
        offset += chunk.length;
      }
      expect(offset).toBe(data.length);
    });

    it('reads every format; the default written format stays v3', async () => {
      const v3 = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider() });
      const data = randomBytes(5000);
      await v3.putObject({ Bucket: s3.bucket, Key: 'rt/v3', Body: data });
      expect((await raw('rt/v3')).metadata['x-amz-c']).toBeDefined();
      expect((await read(framed(), 'rt/v3')).body.equals(data)).toBe(true);
      await framed().putObject({ Bucket: s3.bucket, Key: 'rt/framed', Body: data });
      expect((await read(v3, 'rt/framed')).body.equals(data)).toBe(true);
    });

    it('the encryption context must match on read; reserved keys and low-level multipart are refused', async () => {
      const c = framed();
      await c.putObject({ Bucket: s3.bucket, Key: 'rt/ctx', Body: 'x' }, { encryptionContext: { tenant: 'acme' } });
      expect(await failure(() => c.getObject({ Bucket: s3.bucket, Key: 'rt/ctx' }))).toBe('ENCRYPTION_CONTEXT');
      expect(await failure(() => c.getObject({ Bucket: s3.bucket, Key: 'rt/ctx' }, { encryptionContext: { tenant: 'other' } }))).toBe('ENCRYPTION_CONTEXT');
      const ok = await c.getObject({ Bucket: s3.bucket, Key: 'rt/ctx' }, { encryptionContext: { tenant: 'acme' } });
      expect(await ok.Body!.transformToString()).toBe('x');
      expect(await failure(() => c.putObject({ Bucket: s3.bucket, Key: 'rt/r', Body: 'x' }, { encryptionContext: { 'strongroom:key': 'k' } }))).toBe('ENCRYPTION_CONTEXT');
      expect(await failure(() => c.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key: 'rt/mp' })))).toBe('UNSUPPORTED');
      expect(() => c.upload({ Bucket: s3.bucket, Key: 'x', Body: 'x', partSize: FRAME + 16 })).toThrow(StrongroomError);
    });
  });

  describe('ranged GET', () => {
    const SIZE = 10 * FRAME + 123;
    const data = randomBytes(SIZE);
    const key = 'range/object';
    beforeAll(async () => {
      await framed().putObject({ Bucket: s3.bucket, Key: key, Body: data });
    });

    it.each([
      [0, 0],
      [0, FRAME - 1],
      [FRAME - 1, FRAME],
      [FRAME, 2 * FRAME - 1],
      [5, 3 * FRAME + 7],
      [SIZE - 1, SIZE - 1],
      [SIZE - 200, SIZE - 1],
      [SIZE - 200, SIZE + 5000], // an end past the end is clamped, as S3 does
      [0, SIZE * 2],
    ])('bytes=%i-%i returns exactly the slice, with the plaintext Content-Range', async (s, e) => {
      const { body, r } = await read(framed(), key, `bytes=${s}-${e}`);
      const end = Math.min(e, SIZE - 1);
      expect(body.equals(data.subarray(s, end + 1))).toBe(true);
      expect(r.ContentLength).toBe(end - s + 1);
      expect(r.ContentRange).toBe(`bytes ${s}-${end}/${SIZE}`);
    });

    it('open-ended and suffix ranges', async () => {
      const c = framed();
      expect((await read(c, key, `bytes=${SIZE - 9000}-`)).body.equals(data.subarray(SIZE - 9000))).toBe(true);
      expect((await read(c, key, 'bytes=-7')).body.equals(data.subarray(SIZE - 7))).toBe(true);
      const whole = await read(c, key, `bytes=-${SIZE + 50}`);
      expect(whole.body.equals(data)).toBe(true);
      expect(whole.r.ContentRange).toBe(`bytes 0-${SIZE - 1}/${SIZE}`);
    });

    it('a range past the end, bytes=-0, and any range of an empty object are 416 InvalidRange', async () => {
      const c = framed();
      for (const range of [`bytes=${SIZE}-`, `bytes=${SIZE}-${SIZE + 10}`, `bytes=${SIZE + 100}-${SIZE + 200}`, 'bytes=-0']) {
        const error = await c.getObject({ Bucket: s3.bucket, Key: key, Range: range }).catch((e: unknown) => e);
        expect(StrongroomError.isInstance(error, 'INVALID_ARGUMENT'), range).toBe(true);
        expect((error as StrongroomError).details).toMatchObject({ status: 416 });
      }
      await c.putObject({ Bucket: s3.bucket, Key: 'range/empty', Body: '' });
      const error = await c.getObject({ Bucket: s3.bucket, Key: 'range/empty', Range: 'bytes=0-0' }).catch((e: unknown) => e);
      expect((error as StrongroomError).details).toMatchObject({ status: 416 });
    });

    it('random ranges equal the plaintext slice (property)', async () => {
      const c = framed();
      await fc.assert(
        fc.asyncProperty(fc.nat(SIZE - 1), fc.nat(3 * FRAME), async (s, len) => {
          const e = Math.min(SIZE - 1, s + len);
          const { body } = await read(c, key, `bytes=${s}-${e}`);
          expect(body.equals(data.subarray(s, e + 1))).toBe(true);
        }),
        { numRuns: 25 },
      );
    });
  });

  describe('interop', () => {
    it('@aws-crypto/client-node decrypts a downloaded framed body written with bindLocation: false', async () => {
      // The ESDK for JavaScript has no input for a reproduced encryption context, so it can only read
      // objects whose binding is off; Java/Python/.NET with the Required Encryption Context CMM pass
      // {"strongroom:bucket": bucket, "strongroom:key": key} and read bound ones (docs/s3.md).
      const data = randomBytes(5 * FRAME + 17);
      await framed({ bindLocation: false }).putObject({ Bucket: s3.bucket, Key: 'interop/loose', Body: data }, { encryptionContext: { app: 'x' } });
      const { plaintext, messageHeader } = await esdk.decrypt(esdkKeyring(), (await raw('interop/loose')).body);
      expect(Buffer.from(plaintext).equals(data)).toBe(true);
      expect(messageHeader.encryptionContext).toEqual({ app: 'x' });
      // A bound object: the same reader cannot supply the bucket and key, so it fails.
      await framed().putObject({ Bucket: s3.bucket, Key: 'interop/bound', Body: data });
      await expect(esdk.decrypt(esdkKeyring(), (await raw('interop/bound')).body)).rejects.toThrow();
    });

    it('a bound body is an ordinary ESDK message with required encryption context (bucket and key)', async () => {
      const data = randomBytes(2 * FRAME + 1);
      await framed().putObject({ Bucket: s3.bucket, Key: 'interop/bound2', Body: data });
      const body = (await raw('interop/bound2')).body;
      const core = createClient({ keyProvider: aesProvider() });
      const context = { [BUCKET_CONTEXT_KEY]: s3.bucket, [KEY_CONTEXT_KEY]: 'interop/bound2' };
      const { plaintext } = await core.decrypt(body, { encryptionContext: context });
      expect(Buffer.from(plaintext).equals(data)).toBe(true);
      await expect(core.decrypt(body, { encryptionContext: { ...context, [KEY_CONTEXT_KEY]: 'interop/other' } })).rejects.toBeInstanceOf(StrongroomError);
    });
  });

  describe('attacks', () => {
    const data = randomBytes(20 * FRAME + 100);

    it('an object copied over another key fails with a typed error (full and ranged GET); with the binding off it is accepted', async () => {
      const c = framed();
      await c.putObject({ Bucket: s3.bucket, Key: 'attack/src', Body: data });
      await s3.client.send(new CopyObjectCommand({ Bucket: s3.bucket, Key: 'attack/victim', CopySource: `${s3.bucket}/attack/src` }));
      expect(['NO_DECRYPTION_KEY', 'AUTHENTICATION_FAILED']).toContain(await failure(() => c.getObject({ Bucket: s3.bucket, Key: 'attack/victim' })));
      expect(['NO_DECRYPTION_KEY', 'AUTHENTICATION_FAILED']).toContain(
        await failure(() => c.getObject({ Bucket: s3.bucket, Key: 'attack/victim', Range: 'bytes=0-10' })),
      );
      // A reader that opted out of requiring the binding still enforces it on bound objects.
      expect(['NO_DECRYPTION_KEY', 'AUTHENTICATION_FAILED']).toContain(
        await failure(() => framed({ bindLocation: false }).getObject({ Bucket: s3.bucket, Key: 'attack/victim' })),
      );
      // The same copy of an object written with bindLocation: false decrypts: the binding is what stops it.
      const loose = framed({ bindLocation: false });
      await loose.putObject({ Bucket: s3.bucket, Key: 'attack/loose', Body: data });
      await s3.client.send(new CopyObjectCommand({ Bucket: s3.bucket, Key: 'attack/loose-copy', CopySource: `${s3.bucket}/attack/loose` }));
      expect((await read(loose, 'attack/loose-copy')).body.equals(data)).toBe(true);
      // ... and a default reader refuses unbound objects altogether.
      expect(await failure(() => c.getObject({ Bucket: s3.bucket, Key: 'attack/loose-copy' }))).toBe('ENCRYPTION_CONTEXT');
    });

    it('V3 objects carry no binding: a copied V3 object decrypts as the victim (why framed objects bind)', async () => {
      const v3 = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider() });
      await v3.putObject({ Bucket: s3.bucket, Key: 'attack/v3-src', Body: data });
      await s3.client.send(new CopyObjectCommand({ Bucket: s3.bucket, Key: 'attack/v3-victim', CopySource: `${s3.bucket}/attack/v3-src` }));
      expect((await read(v3, 'attack/v3-victim')).body.equals(data)).toBe(true);
    });

    it('requireBinding refuses a V2/V3 object copied over a framed one (a format downgrade)', async () => {
      const v3 = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider() });
      await framed().putObject({ Bucket: s3.bucket, Key: 'attack/framed-victim', Body: 'the real content' });
      await v3.putObject({ Bucket: s3.bucket, Key: 'attack/v3-elsewhere', Body: 'attacker-chosen old object' });
      await s3.client.send(new CopyObjectCommand({ Bucket: s3.bucket, Key: 'attack/framed-victim', CopySource: `${s3.bucket}/attack/v3-elsewhere` }));
      // Without requireBinding every format is read, so the downgrade goes unnoticed ...
      expect((await read(framed(), 'attack/framed-victim')).body.toString()).toBe('attacker-chosen old object');
      // ... with it, full and ranged GETs refuse the unbound object.
      const strict = framed({ requireBinding: true, legacy: { unauthenticatedModes: true } });
      expect(await failure(() => strict.getObject({ Bucket: s3.bucket, Key: 'attack/framed-victim' }))).toBe('ENCRYPTION_CONTEXT');
      expect(await failure(() => strict.getObject({ Bucket: s3.bucket, Key: 'attack/framed-victim', Range: 'bytes=0-3' }))).toBe('ENCRYPTION_CONTEXT');
      expect(() => framed({ requireBinding: true, bindLocation: false })).toThrow(StrongroomError);
    });

    it('two swapped objects both fail', async () => {
      const c = framed();
      await c.putObject({ Bucket: s3.bucket, Key: 'attack/a', Body: 'content of a' });
      await c.putObject({ Bucket: s3.bucket, Key: 'attack/b', Body: 'content of b' });
      await s3.client.send(new CopyObjectCommand({ Bucket: s3.bucket, Key: 'attack/tmp', CopySource: `${s3.bucket}/attack/a` }));
      await s3.client.send(new CopyObjectCommand({ Bucket: s3.bucket, Key: 'attack/a', CopySource: `${s3.bucket}/attack/b` }));
      await s3.client.send(new CopyObjectCommand({ Bucket: s3.bucket, Key: 'attack/b', CopySource: `${s3.bucket}/attack/tmp` }));
      for (const key of ['attack/a', 'attack/b']) {
        expect(['NO_DECRYPTION_KEY', 'AUTHENTICATION_FAILED']).toContain(await failure(() => c.getObject({ Bucket: s3.bucket, Key: key })));
      }
    });

    /** Write `body` raw at `key` with the metadata of a framed object. */
    const plant = (key: string, body: Buffer, metadata: Record<string, string>) =>
      s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body, Metadata: metadata }));

    it('a truncated body fails: at a frame boundary when the read reaches the end, elsewhere at once', async () => {
      const c = framed();
      await c.putObject({ Bucket: s3.bucket, Key: 'attack/trunc', Body: data });
      const { body, metadata } = await raw('attack/trunc');
      const header = parseHeader(body, { maxEncryptedDataKeys: 10 })!;
      // Without the final frame (ends on a regular frame): the layout still parses, the stream does not.
      const cut = header.length + 6 * (FRAME + 32);
      await plant('attack/trunc', body.subarray(0, cut), metadata);
      expect(await failure(() => read(c, 'attack/trunc'))).toBe('MALFORMED');
      expect(await failure(() => read(c, 'attack/trunc', 'bytes=-10'))).toBe('MALFORMED');
      // A cut inside a frame: the frame at the predicted final position is not the final frame.
      await plant('attack/trunc', body.subarray(0, cut - 100), metadata);
      expect(await failure(() => read(c, 'attack/trunc'))).toBe('MALFORMED');
      expect(await failure(() => read(c, 'attack/trunc', 'bytes=-1'))).toBe('MALFORMED');
      // A length no framed message has (31 of every frameLength + 32): refused before any frame is read.
      await plant('attack/trunc', body.subarray(0, header.length + 40 + FRAME + 10), metadata);
      expect(await failure(() => c.getObject({ Bucket: s3.bucket, Key: 'attack/trunc' }))).toBe('MALFORMED');
      expect(await failure(() => c.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'attack/trunc' })))).toBe('MALFORMED');
    });

    it('a frame spliced in from another object fails where it is read, and only there', async () => {
      const c = framed();
      const other = randomBytes(data.length);
      await c.putObject({ Bucket: s3.bucket, Key: 'attack/splice', Body: data });
      await c.putObject({ Bucket: s3.bucket, Key: 'attack/donor', Body: other });
      const target = await raw('attack/splice');
      const donor = await raw('attack/donor');
      const h = parseHeader(target.body, { maxEncryptedDataKeys: 10 })!.length;
      const at = h + 2 * (FRAME + 32); // frame 3: plaintext FRAME*2 … FRAME*3-1
      const spliced = Buffer.concat([target.body.subarray(0, at), donor.body.subarray(at, at + FRAME + 32), target.body.subarray(at + FRAME + 32)]);
      await plant('attack/splice', spliced, target.metadata);
      expect(await failure(() => read(c, 'attack/splice'))).toBe('AUTHENTICATION_FAILED');
      expect(await failure(() => read(c, 'attack/splice', `bytes=${2 * FRAME + 5}-${2 * FRAME + 5}`))).toBe('AUTHENTICATION_FAILED');
      const outside = await read(c, 'attack/splice', `bytes=${3 * FRAME}-${4 * FRAME + 10}`);
      expect(outside.body.equals(data.subarray(3 * FRAME, 4 * FRAME + 11))).toBe(true);
    });

    it('a byte flipped inside the range fails the read; one flipped outside it does not affect it', async () => {
      const c = framed();
      await c.putObject({ Bucket: s3.bucket, Key: 'attack/flip', Body: data });
      const { body, metadata } = await raw('attack/flip');
      const h = parseHeader(body, { maxEncryptedDataKeys: 10 })!.length;
      const flipped = Buffer.from(body);
      flipped[h + 4 * (FRAME + 32) + 100]! ^= 0x01; // inside frame 5's ciphertext
      await plant('attack/flip', flipped, metadata);
      expect(await failure(() => read(c, 'attack/flip', `bytes=${4 * FRAME}-${4 * FRAME + 1}`))).toBe('AUTHENTICATION_FAILED');
      expect(await failure(() => read(c, 'attack/flip'))).toBe('AUTHENTICATION_FAILED');
      // Streamed: verified frames 1-4 may arrive, then the error; nothing of frame 5 is ever released.
      const streamed = await c.getObject({ Bucket: s3.bucket, Key: 'attack/flip' });
      const got: Buffer[] = [];
      const error = await (async () => {
        for await (const chunk of streamed.Body as Readable) got.push(chunk as Buffer);
      })().catch((e: unknown) => e);
      expect(StrongroomError.isInstance(error, 'AUTHENTICATION_FAILED'), String(error)).toBe(true);
      const released = Buffer.concat(got);
      expect(released.length).toBeLessThanOrEqual(4 * FRAME);
      expect(released.equals(data.subarray(0, released.length))).toBe(true);
      const clean = await read(c, 'attack/flip', `bytes=0-${4 * FRAME - 1}`);
      expect(clean.body.equals(data.subarray(0, 4 * FRAME))).toBe(true);
    });

    it('a forged length in metadata changes nothing: HEAD and GET compute it from the object', async () => {
      const c = framed();
      await c.putObject({ Bucket: s3.bucket, Key: 'attack/len', Body: data });
      const { metadata } = await raw('attack/len');
      await s3.client.send(
        new CopyObjectCommand({
          Bucket: s3.bucket,
          Key: 'attack/len',
          CopySource: `${s3.bucket}/attack/len`,
          MetadataDirective: 'REPLACE',
          Metadata: { ...metadata, 'x-amz-unencrypted-content-length': '5' },
        }),
      );
      const head = await c.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'attack/len' }));
      expect(head.ContentLength).toBe(data.length);
      const { body, r } = await read(c, 'attack/len');
      expect(r.ContentLength).toBe(data.length);
      expect(body.equals(data)).toBe(true);
    });

    it('copyObject() re-encrypts for the destination (any source format)', async () => {
      const c = framed();
      await c.putObject({ Bucket: s3.bucket, Key: 'copy/src', Body: data, ContentType: 'application/x-test', Metadata: { owner: 'me' } });
      await c.copyObject({ SourceBucket: s3.bucket, SourceKey: 'copy/src', Bucket: s3.bucket, Key: 'copy/dst', partSize: 16 * FRAME });
      const { body, r } = await read(c, 'copy/dst');
      expect(body.equals(data)).toBe(true);
      expect(r.Metadata?.owner).toBe('me');
      expect(r.ContentType).toBe('application/x-test');
      const v3 = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider() });
      await v3.putObject({ Bucket: s3.bucket, Key: 'copy/v3', Body: data });
      await c.copyObject({ SourceBucket: s3.bucket, SourceKey: 'copy/v3', Bucket: s3.bucket, Key: 'copy/from-v3', partSize: 16 * FRAME });
      expect((await raw('copy/from-v3')).metadata[FRAMED_FORMAT_METADATA]).toBe(FRAMED_FORMAT_VALUE);
      expect((await read(c, 'copy/from-v3')).body.equals(data)).toBe(true);
    });
  });
});
