/**
 * Re-wrap without rewriting, against real servers (s3rver and Ceph RGW): V2 and V3 objects, envelope
 * in metadata and in an instruction file, are re-wrapped from one key to another; afterwards only the
 * new key opens them, the body bytes and the V3 content binding are unchanged, and the user metadata
 * and content headers are kept. On RGW (s3rver has no UploadPartCopy): objects above the CopyObject
 * limit go through UploadPartCopy (limit lowered for the test). The conditional copy
 * (CopySourceIfMatch) is tested against the msw double in rewrap-steps.test.ts: neither s3rver nor
 * Ceph 16 RGW enforces it (RGW reads a non-standard `x-amz-copy-if-match`). Framed objects get a new
 * header (one PUT, or part 1 + UploadPartCopy). Each request of the multipart paths is failed in
 * turn (through a wrapping client, on RGW): the old object stays readable, and a re-run completes.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StrongroomError } from '@strongroom/core';
import { EncryptedS3Client } from '../src/index';
import { resolveConfig } from '../src/options';
import { rewrapObject } from '../src/rewrap';
import { aesProvider, rsaProvider } from './helpers/providers';
import { realS3Servers, s3Servers } from './helpers/s3-servers';
import type { LocalS3 } from './helpers/s3rver';

const bytes = async (b: { transformToByteArray(): Promise<Uint8Array> } | undefined) => Buffer.from(await b!.transformToByteArray());
const otherAes = () => aesProvider(Buffer.alloc(32, 9));

async function rawObject(s3: LocalS3, Key: string) {
  const res = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key }));
  return { body: await bytes(res.Body), metadata: res.Metadata ?? {}, contentType: res.ContentType, cacheControl: res.CacheControl };
}

describe.each(s3Servers('re-wrap'))('re-wrap on %s', (_kind, start) => {
  let s3: LocalS3;
  beforeAll(async () => {
    s3 = await start();
  });
  afterAll(async () => {
    await s3?.close();
  });

  const cases = (['v2', 'v3'] as const).flatMap((format) => (['metadata', 'instruction-file'] as const).map((location) => ({ format, location })));
  it.each(cases)('$format, envelope in $location: AES → RSA → another AES key, body untouched, metadata kept', async ({ format, location }) => {
    const Key = `rewrap/${format}/${location}/${randomBytes(3).toString('hex')}`;
    const data = randomBytes(1000 + Math.floor(Math.random() * 1000));
    const writer = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider(), format, envelopeLocation: location });
    await writer.putObject({ Bucket: s3.bucket, Key, Body: data, ContentType: 'text/csv', CacheControl: 'max-age=60', Metadata: { owner: 'ann' } });
    const before = await rawObject(s3, Key);

    const r1 = await writer.rewrapObject({ Bucket: s3.bucket, Key, toProvider: rsaProvider() });
    expect(r1).toMatchObject({ format, envelopeLocation: location, fromWrapAlgorithm: 'AES/GCM', toWrapAlgorithm: 'RSA-OAEP-SHA1' });
    const after = await rawObject(s3, Key);
    expect(after.body.equals(before.body)).toBe(true);
    expect(after.contentType).toBe('text/csv');
    expect(after.cacheControl).toBe('max-age=60');
    expect(after.metadata.owner).toBe('ann');
    if (format === 'v3') {
      for (const k of ['x-amz-c', 'x-amz-d', 'x-amz-i']) expect(after.metadata[k], k).toBe(before.metadata[k]);
      if (location === 'metadata') expect(after.metadata['x-amz-w']).toBe('22');
    } else if (location === 'metadata') {
      expect(after.metadata['x-amz-wrap-alg']).toBe('RSA-OAEP-SHA1');
      expect(after.metadata['x-amz-iv']).toBe(before.metadata['x-amz-iv']);
    }

    const onlyRsa = new EncryptedS3Client({ client: s3.client, keyProvider: rsaProvider(), format });
    expect((await bytes((await onlyRsa.getObject({ Bucket: s3.bucket, Key })).Body)).equals(data)).toBe(true);
    await expect(writer.getObject({ Bucket: s3.bucket, Key })).rejects.toMatchObject({ code: 'NO_DECRYPTION_KEY' });

    // Again, to a third key, through a client holding RSA (to read) and the new AES key.
    const rotating = new EncryptedS3Client({ client: s3.client, keyProviders: [otherAes(), rsaProvider()], format, materialsDescription: { gen: '3' } });
    await rotating.rewrapObject({ Bucket: s3.bucket, Key });
    const onlyNew = new EncryptedS3Client({ client: s3.client, keyProvider: otherAes(), format });
    expect((await bytes((await onlyNew.getObject({ Bucket: s3.bucket, Key })).Body)).equals(data)).toBe(true);
    await expect(onlyRsa.getObject({ Bucket: s3.bucket, Key })).rejects.toMatchObject({ code: 'NO_DECRYPTION_KEY' });
    const final = await rawObject(s3, Key);
    expect(final.body.equals(before.body)).toBe(true);
    expect(final.metadata.owner).toBe('ann');
    if (location === 'metadata') expect(final.metadata[format === 'v3' ? 'x-amz-m' : 'x-amz-matdesc']).toBe('{"gen":"3"}');
  });

  it('a client without the current key cannot re-wrap, and nothing is written', async () => {
    const Key = `rewrap/nokey/${randomBytes(3).toString('hex')}`;
    await new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider() }).putObject({ Bucket: s3.bucket, Key, Body: 'x' });
    const before = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key }));
    const thief = new EncryptedS3Client({ client: s3.client, keyProvider: otherAes() });
    await expect(thief.rewrapObject({ Bucket: s3.bucket, Key })).rejects.toMatchObject({ code: 'NO_DECRYPTION_KEY' });
    const after = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key }));
    expect(after.Metadata).toEqual(before.Metadata);
  });

  it('a V3 object whose commitment was altered is refused before anything is written', async () => {
    const Key = `rewrap/commit/${randomBytes(3).toString('hex')}`;
    const c = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider() });
    await c.putObject({ Bucket: s3.bucket, Key, Body: 'y' });
    const raw = await rawObject(s3, Key);
    const d = Buffer.from(raw.metadata['x-amz-d']!, 'base64');
    d[0]! ^= 1;
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key, Body: raw.body, Metadata: { ...raw.metadata, 'x-amz-d': d.toString('base64') } }));
    const err = await c.rewrapObject({ Bucket: s3.bucket, Key, toProvider: rsaProvider() }).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err, 'AUTHENTICATION_FAILED'), String(err)).toBe(true);
    expect((await rawObject(s3, Key)).metadata['x-amz-w']).toBe('02');
  });
});

describe.each(realS3Servers('re-wrap (UploadPartCopy)'))('re-wrap on %s', (_kind, start) => {
  let s3: LocalS3;
  beforeAll(async () => {
    s3 = await start();
  });
  afterAll(async () => {
    await s3?.close();
  });

  it.each(['metadata', 'instruction-file'] as const)('above the CopyObject limit (lowered to 6 MiB): UploadPartCopy, envelope in %s', async (location) => {
    const Key = `rewrap/parts/${location}/${randomBytes(3).toString('hex')}`;
    const data = randomBytes(11 * 1024 * 1024 + 123);
    const c = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider(), envelopeLocation: location });
    await c.putObject({ Bucket: s3.bucket, Key, Body: data, Metadata: { owner: 'bob' } });
    const before = await rawObject(s3, Key);
    const cfg = resolveConfig({ client: s3.client, keyProviders: [rsaProvider(), aesProvider()] });
    await rewrapObject(cfg, { Bucket: s3.bucket, Key }, {}, { multipartThreshold: 6 * 1024 * 1024, partSize: 5 * 1024 * 1024 });
    const after = await rawObject(s3, Key);
    expect(after.body.equals(before.body)).toBe(true);
    expect(after.metadata.owner).toBe('bob');
    const onlyRsa = new EncryptedS3Client({ client: s3.client, keyProvider: rsaProvider() });
    expect((await bytes((await onlyRsa.getObject({ Bucket: s3.bucket, Key })).Body)).equals(data)).toBe(true);
  });
});

describe.each(s3Servers('re-wrap of framed objects'))('re-wrap of framed objects on %s', (kind, start) => {
  let s3: LocalS3;
  beforeAll(async () => {
    s3 = await start();
  });
  afterAll(async () => {
    await s3?.close();
  });
  const framed = (provider: ReturnType<typeof aesProvider>, more: object = {}) =>
    new EncryptedS3Client({ client: s3.client, keyProvider: provider, format: 'framed', frameLength: 4096, ...more });

  it('a new header (new EDKs, same message id), the frames kept; only the new key opens it, ranged reads too', async () => {
    const Key = `rewrap/framed/${randomBytes(3).toString('hex')}`;
    const data = randomBytes(100_000);
    await framed(aesProvider()).putObject({ Bucket: s3.bucket, Key, Body: data, ContentType: 'text/plain', Metadata: { owner: 'cy' } });
    const before = await rawObject(s3, Key);
    const r = await framed(aesProvider(), { keyProviders: [rsaProvider(), aesProvider()], keyProvider: undefined }).rewrapObject({ Bucket: s3.bucket, Key });
    expect(r).toMatchObject({ format: 'framed', envelopeLocation: 'header', toWrapAlgorithm: 's3-test' });
    const after = await rawObject(s3, Key);
    expect(after.metadata.owner).toBe('cy');
    expect(after.contentType).toBe('text/plain');
    // Same message id (bytes 3..35 of a v2 header), different header, same frames at the end.
    expect(after.body.subarray(3, 35).equals(before.body.subarray(3, 35))).toBe(true);
    expect(after.body.equals(before.body)).toBe(false);
    expect(after.body.subarray(after.body.length - 90_000).equals(before.body.subarray(before.body.length - 90_000))).toBe(true);
    const onlyRsa = framed(rsaProvider());
    expect((await bytes((await onlyRsa.getObject({ Bucket: s3.bucket, Key })).Body)).equals(data)).toBe(true);
    const ranged = await onlyRsa.getObject({ Bucket: s3.bucket, Key, Range: 'bytes=50000-50099' });
    expect((await bytes(ranged.Body)).equals(data.subarray(50000, 50100))).toBe(true);
    await expect(framed(aesProvider()).getObject({ Bucket: s3.bucket, Key })).rejects.toMatchObject({ code: 'NO_DECRYPTION_KEY' });
  });

  it('a framed object copied over another key cannot be re-wrapped there (the binding is checked first)', async () => {
    const Key = `rewrap/framed-src/${randomBytes(3).toString('hex')}`;
    await framed(aesProvider()).putObject({ Bucket: s3.bucket, Key, Body: 'bound' });
    const raw = await rawObject(s3, Key);
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${Key}-victim`, Body: raw.body, Metadata: raw.metadata }));
    const err = await framed(aesProvider(), { keyProviders: [rsaProvider(), aesProvider()], keyProvider: undefined })
      .rewrapObject({ Bucket: s3.bucket, Key: `${Key}-victim` })
      .catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err), String(err)).toBe(true);
    expect((await rawObject(s3, `${Key}-victim`)).body.equals(raw.body)).toBe(true);
  });

  // RGW only: s3rver has no UploadPartCopy (registered for RGW only: nothing is skipped).
  if (kind === 'rgw') {
    it('above the single-PUT limit (lowered to 6 MiB): part 1 = new header + 5 MiB, the rest by UploadPartCopy', async () => {
      const Key = `rewrap/framed-parts/${randomBytes(3).toString('hex')}`;
      const data = randomBytes(13 * 1024 * 1024 + 7);
      await framed(aesProvider()).putObject({ Bucket: s3.bucket, Key, Body: data });
      const before = await rawObject(s3, Key);
      const cfg = resolveConfig({ client: s3.client, keyProviders: [rsaProvider(), aesProvider()], format: 'framed', frameLength: 4096 });
      await rewrapObject(cfg, { Bucket: s3.bucket, Key }, {}, { putLimit: 6 * 1024 * 1024, partSize: 5 * 1024 * 1024 });
      const after = await rawObject(s3, Key);
      expect(after.body.subarray(after.body.length - 8 * 1024 * 1024).equals(before.body.subarray(before.body.length - 8 * 1024 * 1024))).toBe(true);
      expect((await bytes((await framed(rsaProvider()).getObject({ Bucket: s3.bucket, Key })).Body)).equals(data)).toBe(true);
    });
  }
});

describe.each(realS3Servers('re-wrap in parts, each step failed'))('re-wrap in parts on %s: a failed step leaves the old object', (_kind, start) => {
  let s3: LocalS3;
  beforeAll(async () => {
    s3 = await start();
  });
  afterAll(async () => {
    await s3?.close();
  });
  /** The real client, except that the first command of class `fail` gets a 500. */
  const failing = (fail: new (...a: never[]) => object): S3Client =>
    ({
      send: async (cmd: Parameters<S3Client['send']>[0], o?: { abortSignal?: AbortSignal }) => {
        if (cmd instanceof fail) throw Object.assign(new Error('injected'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } });
        return s3.client.send(cmd, o);
      },
    }) as unknown as S3Client;
  const steps = [
    ['CreateMultipartUpload', CreateMultipartUploadCommand],
    ['UploadPart (framed part 1)', UploadPartCommand],
    ['UploadPartCopy', UploadPartCopyCommand],
    ['CompleteMultipartUpload', CompleteMultipartUploadCommand],
  ] as const;
  it.each(steps)('%s', async (name, fail) => {
    for (const format of ['v3', 'framed'] as const) {
      if (format === 'v3' && fail === UploadPartCommand) continue; // a V3 self-copy has no uploaded part
      const Key = `rewrap/fault/${format}/${randomBytes(3).toString('hex')}`;
      const data = randomBytes(12 * 1024 * 1024);
      const writer = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider(), format, ...(format === 'framed' ? { frameLength: 4096 } : {}) });
      await writer.putObject({ Bucket: s3.bucket, Key, Body: data });
      const cfg = resolveConfig({ client: failing(fail), keyProviders: [rsaProvider(), aesProvider()], format });
      const knobs = { multipartThreshold: 6 * 1024 * 1024, putLimit: 6 * 1024 * 1024, partSize: 5 * 1024 * 1024 };
      await expect(rewrapObject(cfg, { Bucket: s3.bucket, Key }, {}, knobs), `${format} ${name}`).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
      expect((await bytes((await writer.getObject({ Bucket: s3.bucket, Key })).Body)).equals(data), `${format} ${name}`).toBe(true);
      // And a later re-wrap completes.
      await rewrapObject(resolveConfig({ client: s3.client, keyProviders: [rsaProvider(), aesProvider()], format }), { Bucket: s3.bucket, Key }, {}, knobs);
      const onlyRsa = new EncryptedS3Client({ client: s3.client, keyProvider: rsaProvider(), format });
      expect((await bytes((await onlyRsa.getObject({ Bucket: s3.bucket, Key })).Body)).equals(data)).toBe(true);
    }
  });
});
