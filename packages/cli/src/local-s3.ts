/// <reference path="./s3rver.d.ts" />
/**
 * The dev stack's local S3: s3rver, an optional dependency loaded on demand (dynamic import), so that a
 * user who points the dev stack at a real S3 (`strongroom dev --s3-endpoint URL`, an endpoint speaking
 * the Amazon S3 REST API, https://docs.aws.amazon.com/AmazonS3/latest/API/Welcome.html) never installs or
 * loads it. When it is absent the start fails with a typed UNSUPPORTED error that says what to do.
 */
import { mkdirSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { StrongroomError } from '@strongroom/core';
import { parseCorsOrigins, SDK_REQUEST_HEADERS, withCors, type CorsOptions } from '@strongroom/kms-local';

/** A running local S3. */
export interface LocalS3 {
  readonly endpoint: string;
  close(): Promise<void>;
}

/** What the dev stack says when s3rver is not installed. */
export const S3RVER_MISSING =
  'the local S3 needs the optional package s3rver, which is not installed: install s3rver or point --s3-endpoint at a real S3 (npm install s3rver)';

/**
 * The part of s3rver's class the dev stack uses, declared here so that the shipped .d.ts never names the
 * optional package (a consumer without it must still type-check).
 */
export interface S3rverConstructor {
  new (options: { port?: number; address?: string; silent?: boolean; directory: string; configureBuckets?: { name: string }[] }): {
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
    /** The listening server, once run() resolved (s3rver 3.7's Koa `listen` result). */
    httpServer?: Server;
  };
}

/**
 * The user metadata the S3 encryption formats keep on an object (Amazon S3 Encryption Client V2/V3 and
 * Strongroom's own, packages/s3 metadata-keys.ts): a page must read them to decrypt a GET.
 */
const ENCRYPTION_METADATA = [
  'x-amz-key', 'x-amz-key-v2', 'x-amz-iv', 'x-amz-matdesc', 'x-amz-wrap-alg', 'x-amz-cek-alg', 'x-amz-tag-len', 'x-amz-unencrypted-content-length',
  'x-amz-c', 'x-amz-3', 'x-amz-m', 'x-amz-t', 'x-amz-w', 'x-amz-d', 'x-amz-i', 'x-amz-crypto-instr-file',
  'x-strongroom-instruction-sha256', 'x-strongroom-upload', 'x-strongroom-format', 'x-strongroom-sse-c-key', 'x-strongroom-sse-c-context',
].map((name) => `x-amz-meta-${name}`);

/**
 * CORS for the local S3 (Amazon S3 User Guide, "Using cross-origin resource sharing (CORS)"): the
 * object methods, the SDK's and S3's request headers (any `x-amz-*`), and the response headers the
 * AWS SDK and the S3 encryption formats read (ETag for multipart, ranges, versions, checksums, the
 * encryption metadata). s3rver's own bucket CORS answers preflights with `*` and sends
 * `Access-Control-Allow-Credentials: true`, so it is not used; see @strongroom/kms-local withCors.
 */
export function s3CorsOptions(origins: readonly string[]): CorsOptions {
  return {
    origins,
    methods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'],
    allowHeaders: [...SDK_REQUEST_HEADERS, 'content-md5', 'range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since', 'cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'],
    amzHeaders: true,
    exposeHeaders: [
      'etag', 'content-length', 'content-range', 'content-type', 'last-modified', 'accept-ranges',
      'x-amz-request-id', 'x-amz-id-2', 'x-amz-version-id', 'x-amz-delete-marker', 'x-amz-server-side-encryption', 'x-amz-mp-parts-count',
      'x-amz-checksum-crc32', 'x-amz-checksum-crc32c', 'x-amz-checksum-sha1', 'x-amz-checksum-sha256',
      ...ENCRYPTION_METADATA,
    ],
  };
}

function isMissingS3rver(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && typeof message === 'string' && /['"]s3rver['"]/.test(message);
}

/**
 * Load s3rver.
 * @throws StrongroomError UNSUPPORTED when it is not installed (any other load failure is rethrown).
 */
export async function loadS3rver(): Promise<S3rverConstructor> {
  let mod: { default?: S3rverConstructor } | S3rverConstructor;
  try {
    mod = (await import('s3rver')) as { default?: S3rverConstructor } | S3rverConstructor;
  } catch (error) {
    if (isMissingS3rver(error)) throw new StrongroomError('UNSUPPORTED', S3RVER_MISSING, { cause: error });
    throw error;
  }
  return (typeof mod === 'function' ? mod : mod.default) as S3rverConstructor;
}

/**
 * Start s3rver on 127.0.0.1:`port` (0 = a free port) with `bucket`, storing objects under `directory`;
 * with `cors`, pages at those exact origins may call it from a browser (s3CorsOptions).
 * @throws StrongroomError UNSUPPORTED when s3rver is not installed; the server's own error when the
 *   port is taken (the caller names the port).
 */
export async function startLocalS3(options: { directory: string; port: number; bucket: string; cors?: readonly string[] }): Promise<LocalS3> {
  const corsOrigins = options.cors?.length ? parseCorsOrigins(options.cors) : undefined;
  const S3rver = await loadS3rver();
  mkdirSync(options.directory, { recursive: true });
  const server = new S3rver({ port: options.port, address: '127.0.0.1', silent: true, directory: options.directory, configureBuckets: [{ name: options.bucket }] });
  const { port } = await server.run();
  if (corsOrigins) {
    // In front of s3rver's request listener, which then never sees a preflight (see s3CorsOptions).
    const http = server.httpServer;
    if (!http) {
      await server.close();
      throw new StrongroomError('UNSUPPORTED', 'the local S3: this s3rver version does not expose its HTTP server, so CORS cannot be added; install s3rver 3.7');
    }
    const listeners = http.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
    http.removeAllListeners('request');
    http.on('request', withCors(s3CorsOptions(corsOrigins), (req, res) => listeners.forEach((l) => l.call(http, req, res))));
  }
  return { endpoint: `http://127.0.0.1:${port}`, close: () => server.close() };
}
