/**
 * The dev stack's local S3 (s3rver) with CORS for exact page origins: preflights for the object
 * methods and S3's headers answered for the page only, the ETag and encryption metadata readable
 * by it — and by no other origin; without `cors` nothing changes. Real s3rver on a real socket,
 * raw HTTP so the Origin and preflight headers are what a browser sends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEV_CORS, devCorsOrigins } from '../src/commands/dev';
import { startLocalS3, type LocalS3 } from '../src/local-s3';

const PAGE = 'http://localhost:5173';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}
function send(url: string, method: string, headers: Record<string, string>, body = ''): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const cors = (r: Reply) => Object.keys(r.headers).filter((h) => h.startsWith('access-control-'));
const preflight = (url: string, origin: string, method: string, headers: string) =>
  send(url, 'OPTIONS', { origin, 'access-control-request-method': method, 'access-control-request-headers': headers });

let dir: string;
let withCors: LocalS3;
let without: LocalS3;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'local-s3-cors-'));
  [withCors, without] = await Promise.all([
    startLocalS3({ directory: join(dir, 'a'), port: 0, bucket: 'b', cors: [PAGE] }),
    startLocalS3({ directory: join(dir, 'b'), port: 0, bucket: 'b' }),
  ]);
});
afterAll(async () => {
  await Promise.all([withCors?.close(), without?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('local S3 with cors: [http://localhost:5173]', () => {
  it("answers the page's preflight for PUT with the SDK's and S3's headers: exact origin, no credentials", async () => {
    const asked = 'authorization,content-type,x-amz-content-sha256,x-amz-date,x-amz-meta-x-amz-key-v2,x-amz-user-agent,amz-sdk-invocation-id';
    const pre = await preflight(`${withCors.endpoint}/b/obj`, PAGE, 'PUT', asked);
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(PAGE);
    expect(String(pre.headers['access-control-allow-methods'])).toContain('PUT');
    expect(pre.headers['access-control-allow-headers']).toBe(asked.split(',').join(', '));
    expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('lets the page read the ETag and the encryption metadata of a PUT and a GET, and the error of a missing key', async () => {
    const put = await send(`${withCors.endpoint}/b/obj`, 'PUT', { origin: PAGE, 'x-amz-meta-x-amz-key-v2': 'AAAA' }, 'hello');
    expect(put.status).toBe(200);
    expect(put.headers['access-control-allow-origin']).toBe(PAGE);
    expect(String(put.headers['access-control-expose-headers']).split(', ')).toEqual(expect.arrayContaining(['etag', 'x-amz-meta-x-amz-key-v2', 'x-amz-version-id', 'x-amz-meta-x-strongroom-format']));
    const get = await send(`${withCors.endpoint}/b/obj`, 'GET', { origin: PAGE });
    expect(get.status).toBe(200);
    expect(get.headers['x-amz-meta-x-amz-key-v2']).toBe('AAAA');
    expect(get.headers['access-control-allow-origin']).toBe(PAGE);
    expect(get.headers['access-control-allow-credentials']).toBeUndefined();
    // s3rver clears every header on an error; the gate adds its own when the head is written.
    const missing = await send(`${withCors.endpoint}/b/nope`, 'GET', { origin: PAGE });
    expect(missing.status).toBe(404);
    expect(missing.headers['access-control-allow-origin']).toBe(PAGE);
  });

  it('attack: other and look-alike origins get 403 preflights and no CORS header on requests', async () => {
    for (const origin of ['http://evil.example', 'http://localhost:5173.evil.example', 'null', 'http://localhost:8080']) {
      const pre = await preflight(`${withCors.endpoint}/b/obj`, origin, 'GET', 'authorization');
      expect(pre.status, origin).toBe(403);
      expect(cors(pre), origin).toEqual([]);
      const get = await send(`${withCors.endpoint}/b/obj`, 'GET', { origin });
      expect(cors(get), origin).toEqual([]);
    }
  });

  it('attack: the page cannot preflight a method or header off the list', async () => {
    for (const [method, headers] of [['PATCH', 'authorization'], ['GET', 'cookie'], ['PUT', 'x-evil']]) {
      const pre = await preflight(`${withCors.endpoint}/b/obj`, PAGE, method!, headers!);
      expect(pre.status, `${method} ${headers}`).toBe(403);
      expect(cors(pre)).toEqual([]);
    }
  });
});

describe('local S3 without cors', () => {
  it('sends no CORS header to any origin', async () => {
    await send(`${without.endpoint}/b/obj`, 'PUT', {}, 'x');
    for (const origin of [PAGE, 'http://evil.example']) {
      const get = await send(`${without.endpoint}/b/obj`, 'GET', { origin });
      expect(get.status).toBe(200);
      expect(cors(get)).toEqual([]);
      const pre = await preflight(`${without.endpoint}/b/obj`, origin, 'GET', 'authorization');
      expect(cors(pre)).toEqual([]);
    }
  });

  it('refuses a wildcard or a path as an origin before starting', async () => {
    for (const origin of ['*', 'http://localhost:5173/']) {
      const error = await startLocalS3({ directory: join(dir, 'c'), port: 0, bucket: 'b', cors: [origin] }).then(
        (s) => s.close().then(() => undefined),
        (e: unknown) => e,
      );
      expect(StrongroomError.isInstance(error, 'INVALID_ARGUMENT'), String(error)).toBe(true);
    }
  });
});

describe('strongroom dev --cors', () => {
  it('defaults to the example page origins; "none" turns CORS off; origins pass through', () => {
    expect(devCorsOrigins(undefined)).toEqual([...DEFAULT_DEV_CORS]);
    expect(devCorsOrigins(['none'])).toEqual([]);
    expect(devCorsOrigins(['http://localhost:3000'])).toEqual(['http://localhost:3000']);
    expect(() => devCorsOrigins(['none', PAGE])).toThrow(/alone/);
  });
});
