/// <reference path="./s3rver.d.ts" />
/**
 * The dev stack's local S3: s3rver, an optional dependency loaded on demand (dynamic import), so that a
 * user who points the dev stack at a real S3 (`strongroom dev --s3-endpoint URL`, an endpoint speaking
 * the Amazon S3 REST API, https://docs.aws.amazon.com/AmazonS3/latest/API/Welcome.html) never installs or
 * loads it. When it is absent the start fails with a typed UNSUPPORTED error that says what to do.
 */
import { mkdirSync } from 'node:fs';
import { StrongroomError } from '@strongroom/core';

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
 * Start s3rver on 127.0.0.1:`port` (0 = a free port) with `bucket`, storing objects under `directory`.
 * @throws StrongroomError UNSUPPORTED when s3rver is not installed; the server's own error when the
 *   port is taken (the caller names the port).
 */
export async function startLocalS3(options: { directory: string; port: number; bucket: string }): Promise<LocalS3> {
  const S3rver = await loadS3rver();
  mkdirSync(options.directory, { recursive: true });
  const server = new S3rver({ port: options.port, address: '127.0.0.1', silent: true, directory: options.directory, configureBuckets: [{ name: options.bucket }] });
  const { port } = await server.run();
  return { endpoint: `http://127.0.0.1:${port}`, close: () => server.close() };
}
