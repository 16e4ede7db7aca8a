/**
 * Ranged GETs on the web entry (src/web.ts) against s3rver and Ceph RGW, beside the Node entry: a framed object's
 * range is authenticated and exactly the requested slice (a property over closed, open-ended and
 * suffix ranges, each answered as the Node entry answers it); a byte flipped inside the range fails
 * typed and releases nothing of the altered frame, one flipped outside it does not matter (only the
 * covering frames are fetched); past-the-end ranges are the same typed 416 as on Node; V2/V3 ranged
 * GETs are refused as the Node entry refuses them by default.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { parseHeader, REGULAR_FRAME_OVERHEAD, StrongroomError } from '@strongroom/core';
import type { LocalS3 } from './helpers/s3rver';
import { s3Servers } from './helpers/s3-servers';
import { clients, drainNode, drainWeb, failure } from './helpers/web-clients';

const FRAME = 4096;
const SIZE = 10 * FRAME + 123;
let s3: LocalS3;
const { web, node } = clients(() => s3, FRAME);

/** Bytes `start`-`end` (inclusive) that S3 would serve for `range` of a SIZE-byte object. */
function expected(range: string): [number, number] {
  const suffix = /^bytes=-(\d+)$/.exec(range);
  if (suffix) return [Math.max(0, SIZE - Number(suffix[1])), SIZE - 1];
  const m = /^bytes=(\d+)-(\d*)$/.exec(range)!;
  return [Number(m[1]), m[2] === '' ? SIZE - 1 : Math.min(SIZE - 1, Number(m[2]))];
}

describe.each(s3Servers('web ranged GET'))('ranged GETs on the web entry on %s', (_server, startServer) => {
  const data = randomBytes(SIZE);
  const key = 'web-range/object';
  beforeAll(async () => {
    s3 = await startServer();
    await node().putObject({ Bucket: s3.bucket, Key: key, Body: data });
  });
  afterAll(async () => {
    await s3?.close();
  });

  const readWeb = async (range: string, k = key) => {
    const r = await web().send(new GetObjectCommand({ Bucket: s3.bucket, Key: k, Range: range }));
    return { ...(await drainWeb(r.Body)), r };
  };

  it('any range (closed, open-ended, suffix) is exactly the plaintext slice, answered as the Node entry answers it (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(SIZE - 1), fc.nat(3 * FRAME), fc.constantFrom('closed', 'open', 'suffix'), async (s, len, form) => {
        const range = form === 'closed' ? `bytes=${s}-${s + len}` : form === 'open' ? `bytes=${s}-` : `bytes=-${len + 1}`;
        const [from, to] = expected(range);
        const got = await readWeb(range);
        expect(got.error).toBeUndefined();
        expect(got.data.equals(data.subarray(from, to + 1)), range).toBe(true);
        expect(got.r.ContentLength).toBe(to - from + 1);
        expect(got.r.ContentRange).toBe(`bytes ${from}-${to}/${SIZE}`);
        const fromNode = await node().getObject({ Bucket: s3.bucket, Key: key, Range: range });
        expect(fromNode.ContentRange).toBe(got.r.ContentRange);
        expect((await drainNode(fromNode.Body)).data.equals(got.data)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it.each([
    [0, 0],
    [FRAME - 1, FRAME],
    [SIZE - 1, SIZE - 1],
    [SIZE - 200, SIZE + 5000],
    [0, 2 * SIZE],
  ])('bytes=%i-%i at frame and object edges', async (s, e) => {
    const got = await readWeb(`bytes=${s}-${e}`);
    const end = Math.min(e, SIZE - 1);
    expect(got.data.equals(data.subarray(s, end + 1))).toBe(true);
    expect(got.r.ContentRange).toBe(`bytes ${s}-${end}/${SIZE}`);
  });

  it('past the end, bytes=-0 and a range of an empty object: the typed 416 of the Node entry', async () => {
    await node().putObject({ Bucket: s3.bucket, Key: 'web-range/empty', Body: '' });
    const cases: [string, string][] = [
      [key, `bytes=${SIZE}-`],
      [key, `bytes=${SIZE}-${SIZE + 10}`],
      [key, `bytes=${SIZE + 100}-${SIZE + 200}`],
      [key, 'bytes=-0'],
      ['web-range/empty', 'bytes=0-0'],
    ];
    const status = (e: unknown) => (e as StrongroomError | undefined)?.details?.status ?? (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
    for (const [k, range] of cases) {
      const [fromWeb, fromNode] = await Promise.all(
        [web(), node()].map((c) =>
          c.getObject({ Bucket: s3.bucket, Key: k, Range: range }).then(
            () => undefined,
            (e: unknown) => e as Error,
          ),
        ),
      );
      expect(status(fromWeb), `${k} ${range}: ${String(fromWeb)}`).toBe(416);
      expect(status(fromNode), `${k} ${range}: ${String(fromNode)}`).toBe(416);
      expect([fromWeb!.name, (fromWeb as StrongroomError).code]).toEqual([fromNode!.name, (fromNode as StrongroomError).code]);
    }
    expect(StrongroomError.isInstance(await failure(() => web().getObject({ Bucket: s3.bucket, Key: key, Range: `bytes=${SIZE}-` })), 'INVALID_ARGUMENT')).toBe(true);
  });

  it('a byte flipped inside the range fails typed, releasing nothing of the altered frame; one flipped outside it does not matter', async () => {
    // Written at its own key and altered there: the binding holds, only frame 7 is changed.
    await node().putObject({ Bucket: s3.bucket, Key: 'web-range/flipped', Body: data });
    const raw = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'web-range/flipped' }));
    const body = Buffer.from(await raw.Body!.transformToByteArray());
    const h = parseHeader(body, { maxEncryptedDataKeys: 10 })!.length;
    const bad = Buffer.from(body);
    bad[h + 6 * (FRAME + REGULAR_FRAME_OVERHEAD) + 16 + 50]! ^= 1; // frame 7's ciphertext (plaintext 6·FRAME … 7·FRAME − 1)
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'web-range/flipped', Body: bad, Metadata: raw.Metadata }));

    // Outside: frames 1-3 and 9-11 are fetched and verified; frame 7 is never read.
    for (const range of ['bytes=5-12000', `bytes=${8 * FRAME + 3}-`]) {
      const got = await readWeb(range, 'web-range/flipped');
      const [from, to] = expected(range);
      expect(got.error).toBeUndefined();
      expect(got.data.equals(data.subarray(from, to + 1)), range).toBe(true);
    }
    // Inside: a range across frames 5-9 releases at most the verified frames 5-6 of it, then fails.
    const across = await readWeb(`bytes=${4 * FRAME + 10}-${9 * FRAME - 1}`, 'web-range/flipped');
    expect(StrongroomError.isInstance(across.error, 'AUTHENTICATION_FAILED'), String(across.error)).toBe(true);
    expect(across.data.length).toBeLessThanOrEqual(2 * FRAME - 10);
    expect(across.data.equals(data.subarray(4 * FRAME + 10, 4 * FRAME + 10 + across.data.length))).toBe(true);
    // A range inside frame 7 only: nothing at all.
    const inside = await readWeb(`bytes=${6 * FRAME + 1}-${6 * FRAME + 100}`, 'web-range/flipped');
    expect(StrongroomError.isInstance(inside.error, 'AUTHENTICATION_FAILED')).toBe(true);
    expect(inside.data.length).toBe(0);
  });

  it('a framed object moved to another key fails before any byte', async () => {
    const raw = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: 'web-range/moved', Body: await raw.Body!.transformToByteArray(), Metadata: raw.Metadata }));
    const moved = await failure(() => web().getObject({ Bucket: s3.bucket, Key: 'web-range/moved', Range: 'bytes=0-10' }));
    expect(['AUTHENTICATION_FAILED', 'NO_DECRYPTION_KEY']).toContain(moved.code);
  });

  it('V2/V3 ranged GETs are refused, as the Node entry refuses them without legacy.unauthenticatedModes', async () => {
    for (const format of ['v3', 'v2'] as const) {
      await node(format).putObject({ Bucket: s3.bucket, Key: `web-range/${format}`, Body: randomBytes(1000) });
      const fromWeb = await failure(() => web(format).getObject({ Bucket: s3.bucket, Key: `web-range/${format}`, Range: 'bytes=0-10' }));
      const fromNode = await failure(() => node(format).getObject({ Bucket: s3.bucket, Key: `web-range/${format}`, Range: 'bytes=0-10' }));
      expect(fromWeb.code).toBe('UNSUPPORTED');
      expect(fromNode.code).toBe('UNSUPPORTED');
    }
    const bound = await failure(() => web('v3', { requireBinding: true }).getObject({ Bucket: s3.bucket, Key: 'web-range/v3', Range: 'bytes=0-10' }));
    expect(bound.code).toBe('ENCRYPTION_CONTEXT');
  });
});
