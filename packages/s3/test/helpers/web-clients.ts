/**
 * Clients of both entries over one local S3 (the web entry with core's web raw AES provider, the Node
 * entry with the Node one, the same key), and small readers for what their bodies release.
 */
import { RawAesKeyProvider as WebRawAesKeyProvider, StrongroomError } from '@strongroom/core/web';
import { expect } from 'vitest';
import { EncryptedS3Client as NodeS3Client } from '../../src/index';
import { EncryptedS3Client as WebS3Client } from '../../src/web';
import type { LocalS3 } from './s3rver';
import { AES_KEY, aesProvider } from './providers';

export type Format = 'framed' | 'v3' | 'v2';

export const webProvider = () => WebRawAesKeyProvider({ namespace: 's3-test', name: 'aes-1', key: new Uint8Array(AES_KEY) });

export function clients(s3: () => LocalS3, frameLength: number) {
  return {
    web: (format: Format = 'framed', extra: { bufferSize?: number; requireBinding?: boolean } = {}) =>
      new WebS3Client({ client: s3().client, keyProvider: webProvider(), format, frameLength, ...extra }),
    node: (format: Format = 'framed', extra: { legacy?: { unauthenticatedModes: boolean } } = {}) =>
      new NodeS3Client({ client: s3().client, keyProvider: aesProvider(), format, frameLength, ...extra }),
  };
}

/** Read a web body until it ends or fails: what was released, and the error. */
export async function drainWeb(body: unknown): Promise<{ data: Buffer; error: unknown }> {
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  const parts: Uint8Array[] = [];
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) return { data: Buffer.concat(parts), error: undefined };
      parts.push(r.value);
    }
  } catch (error) {
    return { data: Buffer.concat(parts), error };
  }
}

/** Read a Node body until it ends or fails. */
export async function drainNode(body: unknown): Promise<{ data: Buffer; error: unknown }> {
  const parts: Buffer[] = [];
  try {
    for await (const c of body as AsyncIterable<Uint8Array>) parts.push(Buffer.from(c));
    return { data: Buffer.concat(parts), error: undefined };
  } catch (error) {
    return { data: Buffer.concat(parts), error };
  }
}

/** The typed error `fn` rejects with. */
export async function failure(fn: () => Promise<unknown>): Promise<StrongroomError> {
  const error = await fn().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(StrongroomError.isInstance(error), `expected a StrongroomError, got ${String(error)}`).toBe(true);
  return error as StrongroomError;
}
