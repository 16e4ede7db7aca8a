/**
 * CORS (Fetch Standard, CORS protocol): off by default; with `cors: [origin]` a page at exactly that
 * origin may call kms-local from a browser — and no other page may read a response, whatever Origin
 * it sends. Raw HTTP requests (node:http), so the Origin and preflight headers are exactly what a
 * browser would send.
 */
import { request } from 'node:http';
import { StrongroomError } from '@strongroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKmsServer } from '../src/index';
import { startTestServer, tempDir } from './helpers';

const PAGE = 'http://localhost:5173';
const SDK_HEADERS = 'amz-sdk-invocation-id,amz-sdk-request,authorization,content-type,x-amz-content-sha256,x-amz-date,x-amz-target,x-amz-user-agent';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}
function send(endpoint: string, method: string, headers: Record<string, string>, body = ''): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(endpoint, { method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const preflight = (endpoint: string, origin: string, method = 'POST', headers = SDK_HEADERS) =>
  send(endpoint, 'OPTIONS', { origin, 'access-control-request-method': method, 'access-control-request-headers': headers });
const listKeys = (endpoint: string, origin?: string, op = 'ListKeys') =>
  send(endpoint, 'POST', { ...(origin && { origin }), 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${op}` }, '{}');

function corsHeaders(reply: Reply): string[] {
  return Object.keys(reply.headers).filter((h) => h.startsWith('access-control-'));
}

describe('kms-local without cors (the default)', () => {
  let endpoint: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const started = await startTestServer({ credentials: undefined, log: () => {} });
    endpoint = started.server.endpoint;
    cleanup = started.cleanup;
  });
  afterAll(async () => cleanup?.());

  it('answers no preflight and sends no CORS header, to any origin', async () => {
    for (const origin of [PAGE, 'https://evil.example', 'null']) {
      const pre = await preflight(endpoint, origin);
      expect(pre.status).not.toBe(204);
      expect(corsHeaders(pre)).toEqual([]);
      const post = await listKeys(endpoint, origin);
      expect(post.status).toBe(200);
      expect(corsHeaders(post)).toEqual([]);
    }
  });
});

describe('kms-local with cors: [http://localhost:5173]', () => {
  let endpoint: string;
  let cleanup: () => Promise<void>;
  const logged: string[] = [];
  beforeAll(async () => {
    const started = await startTestServer({ credentials: undefined, cors: [PAGE], log: (l) => logged.push(l) });
    endpoint = started.server.endpoint;
    cleanup = started.cleanup;
  });
  afterAll(async () => cleanup?.());

  it('says so at start', () => {
    expect(logged.some((l) => l.includes(`CORS on for ${PAGE}`))).toBe(true);
  });

  it("answers the page's preflight for POST with the SDK's headers: its exact origin, never *, never credentials", async () => {
    const pre = await preflight(endpoint, PAGE);
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(PAGE);
    expect(pre.headers['access-control-allow-methods']).toBe('POST');
    expect(String(pre.headers['access-control-allow-headers']).split(', ').sort().join(',')).toBe(SDK_HEADERS);
    expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
    expect(pre.headers.vary).toMatch(/Origin/);
  });

  it('lets the page read answers and errors: origin echoed, request id / error type exposed', async () => {
    const ok = await listKeys(endpoint, PAGE);
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(PAGE);
    expect(String(ok.headers['access-control-expose-headers'])).toMatch(/x-amzn-requestid.*x-amzn-errortype/);
    expect(ok.headers['access-control-allow-credentials']).toBeUndefined();
    expect(ok.headers.vary).toBe('Origin');
    const error = await listKeys(endpoint, PAGE, 'NoSuchOperation');
    expect(error.status).toBe(400);
    expect(error.headers['access-control-allow-origin']).toBe(PAGE);
  });

  it('attack: look-alike and other origins get no CORS header on the preflight (403) or the request', async () => {
    for (const origin of ['http://localhost:5173.evil.example', 'http://evil.example', 'null', 'http://localhost:5174', 'https://localhost:5173', 'http://127.0.0.1:5173', 'http://localhost:5173/']) {
      const pre = await preflight(endpoint, origin);
      expect(pre.status, origin).toBe(403);
      expect(corsHeaders(pre), origin).toEqual([]);
      const post = await listKeys(endpoint, origin);
      expect(corsHeaders(post), origin).toEqual([]);
      expect(post.headers.vary, origin).toBe('Origin');
    }
  });

  it('attack: the allowed page cannot preflight another method or a header off the list (cookie, custom)', async () => {
    for (const [method, headers] of [['DELETE', 'content-type'], ['PUT', 'content-type'], ['POST', 'content-type,cookie'], ['POST', 'x-evil']] as const) {
      const pre = await preflight(endpoint, PAGE, method, headers);
      expect(pre.status, `${method} ${headers}`).toBe(403);
      expect(corsHeaders(pre)).toEqual([]);
    }
  });
});

describe('kms-local cors option: exact origins only', () => {
  it.each(['*', 'http://*.example', 'null', 'http://localhost:5173/', 'http://localhost:5173/app', 'file:///tmp/page.html', 'localhost:5173', 'http://user@localhost:5173', 'HTTP://LOCALHOST:5173'])(
    'refuses %s before opening anything',
    async (origin) => {
      const dataDir = await tempDir();
      const error = await startKmsServer({ dataDir, cors: [origin], log: () => {} }).then(
        (s) => s.close().then(() => undefined),
        (e: unknown) => e,
      );
      expect(StrongroomError.isInstance(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(/exact origin/);
    },
  );
});
