/**
 * Up to 64 requests in flight on one transfer (upload queueSize, download concurrency) share one internal
 * abort signal, and the AWS SDK adds a listener to it per request attempt. Node warns from the 11th
 * listener on an EventTarget (MaxListenersExceededWarning: "Possible EventTarget memory leak
 * detected") — in the logs of every service that raises the concurrency, for no leak at all. Each
 * transfer here keeps 16 requests in flight against s3rver and must emit no such warning, on both
 * entries (the web entry runs on Node too), and the bytes must come back.
 */
import { randomBytes } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalS3 } from './helpers/s3rver';
import { startS3 } from './helpers/s3rver';
import { requestSignals } from '../src/request-signal';
import { clients, drainNode, drainWeb } from './helpers/web-clients';

const FRAME = 4096;
const PART = 4 * FRAME;
const data = randomBytes(40 * PART + 123);
let s3: LocalS3;
const { web, node } = clients(() => s3, FRAME);
let warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);

beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.close();
});
beforeEach(() => {
  warnings = [];
  process.on('warning', onWarning);
});
afterEach(() => {
  process.off('warning', onWarning);
});

/** Warnings are emitted on the next tick: let them arrive, then say whether any is about listeners. */
async function listenerWarnings(): Promise<string[]> {
  await new Promise((r) => setImmediate(r));
  return warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message);
}

describe('16 requests in flight on one transfer', () => {
  it('Node entry: upload (queueSize 16) and parallel download (concurrency 16)', async () => {
    const key = 'in-flight/node';
    await node('framed').upload({ Bucket: s3.bucket, Key: key, Body: Readable.from([data]), partSize: PART, queueSize: 16 }).done();
    const r = await node('framed').download({ Bucket: s3.bucket, Key: key, partSize: PART, concurrency: 16 });
    const { data: back, error } = await drainNode(r.Body);
    expect(error).toBeUndefined();
    expect(back.equals(data)).toBe(true);
    expect(await listenerWarnings()).toEqual([]);
  });

  it('web entry: upload (queueSize 16) and download (concurrency 16)', async () => {
    const key = 'in-flight/web';
    await web('framed').upload({ Bucket: s3.bucket, Key: key, Body: new Blob([data]), partSize: PART, queueSize: 16 }).done();
    const r = await web('framed').download({ Bucket: s3.bucket, Key: key, partSize: PART, concurrency: 16 });
    const { data: back, error } = await drainWeb(r.Body);
    expect(error).toBeUndefined();
    expect(back.equals(data)).toBe(true);
    expect(await listenerWarnings()).toEqual([]);
  });
});

describe('requestSignals', () => {
  it('hands out a signal per request: one listener on the shared signal, each live one aborted with its reason', () => {
    const shared = new AbortController();
    const next = requestSignals(shared.signal);
    const requests = Array.from({ length: 64 }, () => next());
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
    requests[0]!.release(); // settled before the abort: not aborted, not kept
    const reason = new Error('the transfer failed');
    shared.abort(reason);
    expect(requests[0]!.signal.aborted).toBe(false);
    for (const r of requests.slice(1)) expect(r.signal.reason).toBe(reason);
    // A request started after the abort starts aborted.
    expect(next().signal.reason).toBe(reason);
  });
});

