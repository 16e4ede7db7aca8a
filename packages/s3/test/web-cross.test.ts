/**
 * Framed upload() on the web entry lays parts out as the Node entry does — whole frames per part, the
 * header at the front of the first — so objects cross between the entries for every read: a web
 * upload reads back by range and through download() on Node, a Node upload on the web. The parts
 * are compared on the wire (their lengths, recorded from the UploadPart requests each entry sends).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UploadPartCommand, type S3Client } from '@aws-sdk/client-s3';
import { REGULAR_FRAME_OVERHEAD } from '@strongroom/core';
import { EncryptedS3Client as NodeS3Client } from '../src/index';
import { EncryptedS3Client as WebS3Client, type Progress } from '../src/web';
import { aesProvider } from './helpers/providers';
import { startS3, type LocalS3 } from './helpers/s3rver';
import { clients, drainNode, drainWeb, failure, webProvider } from './helpers/web-clients';

const FRAME = 4096;
const PART = 16 * FRAME;
let s3: LocalS3;
const { web, node } = clients(() => s3, FRAME);

/** The S3 client, recording the length of each UploadPart body (by part number). */
function recording(): { client: S3Client; parts: Map<number, number> } {
  const parts = new Map<number, number>();
  const client = {
    send: (cmd: unknown, opts?: unknown) => {
      if (cmd instanceof UploadPartCommand) parts.set(cmd.input.PartNumber!, (cmd.input.Body as Uint8Array).length);
      return s3.client.send(cmd as never, opts as never);
    },
  } as unknown as S3Client;
  return { client, parts };
}

/** A ReadableStream of `data` in chunks of `size` bytes. */
const streamOf = (data: Uint8Array, size: number) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < data.length; i += size) c.enqueue(data.slice(i, i + size));
      c.close();
    },
  });

describe('frame-aligned framed uploads across the entries', () => {
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3?.close();
  });

  it('web and Node upload() send parts of the same lengths: whole frames, the header in part 1', async () => {
    const data = randomBytes(5 * PART + 3 * FRAME + 11);
    const w = recording();
    const n = recording();
    const fromWeb = new WebS3Client({ client: w.client, keyProvider: webProvider(), format: 'framed', frameLength: FRAME });
    const fromNode = new NodeS3Client({ client: n.client, keyProvider: aesProvider(), format: 'framed', frameLength: FRAME });
    await fromWeb.upload({ Bucket: s3.bucket, Key: 'x/web', Body: streamOf(data, 10_000), partSize: PART, queueSize: 3 }).done();
    await fromNode.upload({ Bucket: s3.bucket, Key: 'x/node', Body: data, partSize: PART, queueSize: 3 }).done();
    const lengths = (m: Map<number, number>) => [...m.entries()].sort((a, b) => a[0] - b[0]).map(([, l]) => l);
    expect(lengths(w.parts)).toEqual(lengths(n.parts));
    expect(w.parts.size).toBe(6);
    // Parts 2 … 5 hold exactly PART / FRAME regular frames.
    for (const p of [2, 3, 4, 5]) expect(w.parts.get(p)).toBe((PART / FRAME) * (FRAME + REGULAR_FRAME_OVERHEAD));
  });

  it('a web upload reads back on Node by range and through download(); a Node upload on the web', async () => {
    const data = randomBytes(4 * PART + 777);
    await web().upload({ Bucket: s3.bucket, Key: 'x/w', Body: new Blob([data]), partSize: PART, queueSize: 2 }).done();
    await node().upload({ Bucket: s3.bucket, Key: 'x/n', Body: data, partSize: PART, queueSize: 2 }).done();
    const ranges: [number, number][] = [
      [0, 0],
      [PART - 5, PART + 5], // across a part boundary
      [3 * FRAME + 1, 2 * PART + 9],
      [data.length - 100, data.length - 1],
    ];
    for (const [s, e] of ranges) {
      const onNode = await node().getObject({ Bucket: s3.bucket, Key: 'x/w', Range: `bytes=${s}-${e}` });
      expect((await drainNode(onNode.Body)).data.equals(data.subarray(s, e + 1)), `Node reads web ${s}-${e}`).toBe(true);
      const onWeb = await web().getObject({ Bucket: s3.bucket, Key: 'x/n', Range: `bytes=${s}-${e}` });
      expect((await drainWeb(onWeb.Body)).data.equals(data.subarray(s, e + 1)), `web reads Node ${s}-${e}`).toBe(true);
    }
    const nodeDownload = await node().download({ Bucket: s3.bucket, Key: 'x/w', partSize: PART, concurrency: 3 });
    expect((await drainNode(nodeDownload.Body)).data.equals(data)).toBe(true);
    const webDownload = await web().download({ Bucket: s3.bucket, Key: 'x/n', partSize: 3 * FRAME, concurrency: 3 });
    expect((await drainWeb(webDownload.Body)).data.equals(data)).toBe(true);
  });

  it.each([
    ['empty', 0],
    ['one frame short of a part', PART - FRAME],
    ['exactly two parts', 2 * PART],
  ])('web upload() of %s: one message, progress in plaintext bytes', async (_name, size) => {
    const data = randomBytes(size);
    const key = `x/size-${size}`;
    const events: Progress[] = [];
    const up = web().upload({ Bucket: s3.bucket, Key: key, Body: streamOf(data, 7_000), partSize: PART, queueSize: 2 });
    up.on('httpUploadProgress', (p) => events.push(p));
    await up.done();
    expect(events.at(-1)!.loaded).toBe(size);
    expect(events.length).toBe(Math.max(1, Math.ceil(size / PART)));
    const back = await node().getObject({ Bucket: s3.bucket, Key: key });
    expect((await drainNode(back.Body)).data.equals(data)).toBe(true);
  });

  it('a framed part size that is not whole frames is refused before anything is sent; a body longer than ContentLength fails the upload', async () => {
    expect(() => web().upload({ Bucket: s3.bucket, Key: 'x/bad', Body: 'x', partSize: PART + 16 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const e = await failure(() => web().upload({ Bucket: s3.bucket, Key: 'x/long', Body: streamOf(randomBytes(3 * PART), 5000), ContentLength: 2 * PART, partSize: PART }).done());
    expect(e.code).toBe('INVALID_ARGUMENT');
  });
});
