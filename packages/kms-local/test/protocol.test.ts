/** Raw-HTTP protocol edges the SDK never sends: unknown targets, bad JSON, missing signatures. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KmsServer } from '../src/index';
import { startTestServer } from './helpers';

let server: KmsServer;
let strict: KmsServer;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const open = await startTestServer({ credentials: undefined });
  const s = await startTestServer();
  server = open.server;
  strict = s.server;
  cleanups.push(open.cleanup, s.cleanup);
});
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function post(target: string | undefined, body: string, base = server) {
  const res = await fetch(base.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', ...(target && { 'x-amz-target': target }) },
    body,
  });
  return { status: res.status, type: res.headers.get('x-amzn-errortype'), json: (await res.json()) as Record<string, unknown> };
}

describe('JSON 1.1 protocol', () => {
  it('answers __type errors with the errortype header', async () => {
    expect(await post('TrentService.Nope', '{}')).toMatchObject({ status: 400, type: 'UnknownOperationException', json: { __type: 'UnknownOperationException' } });
    expect(await post('TrentService.ListKeys', '{not json')).toMatchObject({ status: 400, type: 'SerializationException' });
    expect(await post('TrentService.ListKeys', '[]')).toMatchObject({ status: 400, type: 'SerializationException' });
    expect(await post('TrentService.Encrypt', '{"KeyId":"x","Plaintext":"not base64!"}')).toMatchObject({ status: 400, type: 'ValidationException' });
    expect(await post('TrentService.constructor', '{}')).toMatchObject({ status: 400, type: 'UnknownOperationException' });
  });

  it('serves ListKeys without a signature in default mode', async () => {
    expect(await post('TrentService.ListKeys', '{}')).toMatchObject({ status: 200, json: { Keys: [], Truncated: false } });
  });

  it('requires a signature in strict mode', async () => {
    expect(await post('TrentService.ListKeys', '{}', strict)).toMatchObject({ status: 400, type: 'MissingAuthenticationTokenException' });
  });

  it('counts requests per operation', async () => {
    server.resetRequestCounts();
    await post('TrentService.ListKeys', '{}');
    await post('TrentService.ListKeys', '{}');
    expect(server.requestCounts).toMatchObject({ ListKeys: 2 });
  });
});
