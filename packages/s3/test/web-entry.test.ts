/**
 * The web entry (src/web.ts: core's web client, Web Crypto, WHATWG streams) against s3rver, beside the
 * Node entry: objects either one writes open in the other (framed, V3, V2) with the same metadata; upload()
 * sends a framed object in parts of whole frames with progress events; and the attacks — a tampered framed object
 * releases no plaintext past the bad frame, a V3 object over bufferSize is refused before any byte.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { StrongroomError } from '@strongroom/core/web';
import { FRAMED_FORMAT_METADATA, UPLOAD_METADATA } from '../src/index';
import { EncryptedS3Client as WebS3Client, type Progress } from '../src/web';
import { startS3, type LocalS3 } from './helpers/s3rver';
import { clients, drainWeb, failure, webProvider } from './helpers/web-clients';

const FRAME = 4096;
let s3: LocalS3;
const { web, node } = clients(() => s3, FRAME);

async function bytesOf(body: unknown): Promise<Buffer> {
  return Buffer.from(await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

describe('the web entry of @strongroom/s3', () => {
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3?.close();
  });

  for (const format of ['framed', 'v3', 'v2'] as const) {
    it(`${format}: written on the web, opened on Node, and the other way round, with the same metadata keys`, async () => {
      const data = randomBytes(3 * FRAME + 123);
      // A context binds framed objects; the raw-key V3 wrap (AES/GCM) stores none (materials description instead).
      const o = format === 'framed' ? { encryptionContext: { tenant: 'a' } } : {};
      await web(format).putObject({ Bucket: s3.bucket, Key: `w-${format}`, Body: new Blob([data]) }, o);
      const fromNode = await node(format).getObject({ Bucket: s3.bucket, Key: `w-${format}` }, o);
      expect((await bytesOf(fromNode.Body)).equals(data)).toBe(true);

      await node(format).putObject({ Bucket: s3.bucket, Key: `n-${format}`, Body: data }, o);
      const fromWeb = await web(format).getObject({ Bucket: s3.bucket, Key: `n-${format}` }, o);
      expect(fromWeb.ContentLength).toBe(data.length);
      expect((await bytesOf(fromWeb.Body)).equals(data)).toBe(true);

      const [w, n] = await Promise.all([`w-${format}`, `n-${format}`].map((Key) => s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key }))));
      expect(Object.keys(w!.Metadata ?? {}).sort()).toEqual(Object.keys(n!.Metadata ?? {}).sort());
      expect(w!.ContentLength).toBe(n!.ContentLength);
      if (format === 'framed') expect(w!.Metadata?.[FRAMED_FORMAT_METADATA]).toBe('esdk-framed');
    });
  }

  it('framed: the web client refuses the wrong context and a moved object, typed', async () => {
    const data = randomBytes(FRAME + 1);
    await web('framed').putObject({ Bucket: s3.bucket, Key: 'ctx', Body: data }, { encryptionContext: { tenant: 'a' } });
    expect((await failure(() => web('framed').getObject({ Bucket: s3.bucket, Key: 'ctx' }, { encryptionContext: { tenant: 'b' } }))).code).toBe('ENCRYPTION_CONTEXT');
    const raw = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'ctx' }));
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'moved', Body: await bytesOf(raw.Body), Metadata: raw.Metadata }));
    // The bucket/key are in the data key's wrap (AAD) and the header tag: either refuses it.
    expect(['AUTHENTICATION_FAILED', 'NO_DECRYPTION_KEY']).toContain((await failure(() => web('framed').getObject({ Bucket: s3.bucket, Key: 'moved' }, { encryptionContext: { tenant: 'a' } }))).code);
  });

  it('upload(): a framed multipart upload with progress, opened on Node', async () => {
    const data = randomBytes(12 * 1024 * 1024 + 777);
    const progress: Progress[] = [];
    const up = web('framed').upload({ Bucket: s3.bucket, Key: 'big', Body: new Blob([data]), partSize: 5 * 1024 * 1024, queueSize: 2 });
    up.on('httpUploadProgress', (p) => progress.push(p));
    await up.done();
    expect(progress.length).toBe(3);
    expect(progress.every((p) => p.total === data.length && p.Key === 'big')).toBe(true);
    expect(progress.map((p) => p.loaded)).toEqual([...progress.map((p) => p.loaded!)].sort((a, b) => a - b));
    expect(progress.at(-1)!.loaded).toBe(data.length);
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'big' }));
    expect(head.Metadata?.[UPLOAD_METADATA]).toBe('1');
    const fromNode = await node('framed').getObject({ Bucket: s3.bucket, Key: 'big' });
    expect((await bytesOf(fromNode.Body)).equals(data)).toBe(true);
    const fromWeb = await web('framed').getObject({ Bucket: s3.bucket, Key: 'big' });
    expect((await bytesOf(fromWeb.Body)).equals(data)).toBe(true);
  });

  it('attack: a framed object with a flipped byte in frame 3 releases nothing past frame 2, then fails typed', async () => {
    const data = randomBytes(6 * FRAME);
    await node('framed').putObject({ Bucket: s3.bucket, Key: 'tampered', Body: data });
    const raw = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'tampered' }));
    const bytes = await bytesOf(raw.Body);
    // Frame 3's ciphertext starts after the header and two frames of FRAME + 32 bytes (4 sequence, 12 IV, 16 tag).
    const headerLength = bytes.length - (5 * (FRAME + 32) + (FRAME + 40));
    bytes[headerLength + 2 * (FRAME + 32) + 16 + 100]! ^= 1;
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'tampered', Body: bytes, Metadata: raw.Metadata }));
    const res = await web('framed').getObject({ Bucket: s3.bucket, Key: 'tampered' });
    const { data: released, error } = await drainWeb(res.Body);
    expect(StrongroomError.isInstance(error, 'AUTHENTICATION_FAILED'), String(error)).toBe(true);
    // Only whole verified frames before the bad one (frames that arrived in the same network chunk as
    // the bad frame may be dropped with it), never a byte of frame 3 or later.
    expect(released.length % FRAME).toBe(0);
    expect(released.length).toBeLessThanOrEqual(2 * FRAME);
    expect(released.equals(data.subarray(0, released.length))).toBe(true);
  });

  it('attack: a V3 object over bufferSize is refused before any byte is released', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    await node('v3').putObject({ Bucket: s3.bucket, Key: 'v3-big', Body: data });
    const e = await failure(() => web('v3', { bufferSize: 1024 * 1024 }).getObject({ Bucket: s3.bucket, Key: 'v3-big' }));
    expect(e.code).toBe('LIMIT_EXCEEDED');
    // And a tampered V3 body fails its tag as a whole: nothing released.
    const raw = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'v3-big' }));
    const bytes = await bytesOf(raw.Body);
    bytes[1000]! ^= 1;
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'v3-big', Body: bytes, Metadata: raw.Metadata }));
    expect((await failure(() => web('v3').getObject({ Bucket: s3.bucket, Key: 'v3-big' }))).code).toBe('AUTHENTICATION_FAILED');
  });

  it('Node-only features are refused typed, not half-done', async () => {
    expect(() => new WebS3Client({ client: s3.client, keyProvider: webProvider(), envelopeLocation: 'instruction-file' })).toThrow(StrongroomError);
    await node('framed').putObject({ Bucket: s3.bucket, Key: 'ranged', Body: randomBytes(10) });
    expect((await failure(() => web('framed').getObject({ Bucket: s3.bucket, Key: 'ranged', PartNumber: 1 }))).code).toBe('UNSUPPORTED');
    expect((await failure(() => web('framed').send(new UploadPartCommand({ Bucket: s3.bucket, Key: 'ranged', UploadId: 'x', PartNumber: 1, Body: 'x' })))).code).toBe('UNSUPPORTED');
  });
});
