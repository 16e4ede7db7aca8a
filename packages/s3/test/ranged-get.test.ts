/**
 * Ranged GET (GCM → CTR), gated behind legacy.unauthenticatedModes, checked against the plaintext
 * for many ranges (block boundaries, single bytes, the last byte, past the end) on V2 and V3.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { StrongroomError } from '@strongroom/core';
import { EncryptedS3Client } from '../src/index';
import type { LocalS3 } from './helpers/s3rver';
import { s3Servers } from './helpers/s3-servers';
import { aesProvider } from './helpers/providers';

let s3: LocalS3;

describe.each(s3Servers('ranged GET'))('on %s', (server, startServer) => {
  beforeAll(async () => {
    s3 = await startServer();
  });
  afterAll(async () => {
    await s3?.close();
  });

  const SIZE = 70_000 + 5;
  const plaintext = randomBytes(SIZE);

  describe.each(['v3', 'v2'] as const)('%s ranged GET', (format) => {
    const key = `ranged/${format}`;
    const client = new (class {
      get c() {
        return new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider(), format, legacy: { unauthenticatedModes: true } });
      }
    })();
    beforeAll(async () => {
      await client.c.putObject({ Bucket: s3.bucket, Key: key, Body: plaintext });
    });

    const read = async (range: string) => {
      const r = await client.c.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key, Range: range }));
      return { body: Buffer.from(await r.Body!.transformToByteArray()), r };
    };

    it('is refused without legacy.unauthenticatedModes', async () => {
      const strict = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider() });
      const err = await strict.getObject({ Bucket: s3.bucket, Key: key, Range: 'bytes=0-10' }).catch((e) => e);
      expect(StrongroomError.isInstance(err, 'UNSUPPORTED')).toBe(true);
    });

    it.each([
      [0, 0],
      [0, 15],
      [0, 16],
      [15, 16],
      [16, 31],
      [17, 17],
      [1000, 66_535],
      [SIZE - 1, SIZE - 1],
      [SIZE - 20, SIZE - 1],
      [SIZE - 20, SIZE + 100], // past the end: clamped to the plaintext, never the tag
    ])('bytes=%i-%i', async (s, e) => {
      const { body, r } = await read(`bytes=${s}-${e}`);
      const end = Math.min(e, SIZE - 1);
      expect(body.equals(plaintext.subarray(s, end + 1))).toBe(true);
      expect(r.ContentLength).toBe(end - s + 1);
      expect(r.ContentRange).toBe(`bytes ${s}-${end}/${SIZE}`);
    });

    it('open-ended and suffix ranges', async () => {
      expect((await read('bytes=69990-')).body.equals(plaintext.subarray(69990))).toBe(true);
      expect((await read('bytes=-7')).body.equals(plaintext.subarray(SIZE - 7))).toBe(true);
      expect((await read(`bytes=-${SIZE + 50}`)).body.equals(plaintext)).toBe(true);
    });

    it('random ranges match the plaintext (property)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat(SIZE - 1), fc.nat(4000), async (s, len) => {
          const e = Math.min(SIZE - 1, s + len);
          const { body } = await read(`bytes=${s}-${e}`);
          expect(body.equals(plaintext.subarray(s, e + 1))).toBe(true);
        }),
        { numRuns: 25 },
      );
    });

    it('a start inside the tag or past the end is not satisfiable', async () => {
      for (const range of [`bytes=${SIZE}-${SIZE + 3}`, `bytes=${SIZE + 100}-`, `bytes=${SIZE + 16}-`]) {
        const err = await read(range).catch((e: unknown) => e);
        // S3's answer to an unsatisfiable range: 416 InvalidRange (a typed error carrying the status
        // when the client refuses it before asking).
        const status = (err as { $metadata?: { httpStatusCode?: number }; details?: { status?: number } }).$metadata?.httpStatusCode ?? (err as { details?: { status?: number } }).details?.status;
        expect(status, `${range} on ${server}: ${String(err)}`).toBe(416);
      }
      await expect(read('bytes=5-2')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      await expect(read('bytes=0-1,5-6')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
  });
});
