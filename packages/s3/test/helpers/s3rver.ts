/** Test helper: an s3rver on 127.0.0.1 (random port, temp directory) and an S3Client for it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

export interface LocalS3 {
  /** Which server: s3rver (a fake) or Ceph RGW (a real S3 implementation). */
  readonly kind: 's3rver' | 'rgw';
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  readonly client: S3Client;
  /** s3rver only: where it stores objects (`<directory>/<bucket>/<key>._S3rver_object`), for tests that alter them in place. */
  readonly directory?: string;
  close(): Promise<void>;
}

export function s3ClientFor(endpoint: string, credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    // s3rver stores aws-chunked stream bodies verbatim, and RGW 16 does not know trailing checksums (docs/s3.md#testing-against-s3rver).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export async function startS3(bucket = 'strongroom-test'): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'strongroom-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = s3ClientFor(endpoint);
  return {
    kind: 's3rver',
    endpoint,
    port,
    bucket,
    client,
    directory,
    async close() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
