/**
 * SSE-C with HSM-generated keys against the dev stack. The local S3 (s3rver) stores SSE-C objects
 * but does not enforce the headers (docs/s3.md#testing-against-s3rver), so this test checks
 * what the example controls: the exact SSE-C headers on the wire (SSECustomerKey, its MD5) recovered
 * through the HSM, the wrapped key in metadata and sidecar, and that no other key can recover it.
 * @strongroom/s3's own suite checks S3's enforcement with an msw double.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StrongroomError } from '@strongroom/core';
import { keyProviderFromUri, s3ClientFor, startDevStack, type DevStack } from '@strongroom/cli';
import { loadSseCKey } from '@strongroom/s3';
import { getWithHsmKey, putWithHsmKey } from './sse-c';

let stack: DevStack;
let tmp: string;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'example-ssec-'));
  stack = await startDevStack({ dir: join(tmp, 'stack') });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('sse-c-from-hsm', () => {
  it('stores with an HSM-generated SSE-C key and reads back through the HSM', async () => {
    const s3 = s3ClientFor(stack.config.s3);
    const hsm = await keyProviderFromUri(`hsm://${stack.config.keyLabel}`, { config: stack.config });
    const kms = await keyProviderFromUri('kms://alias/strongroom-dev', { config: stack.config });
    const sent: Array<Record<string, string>> = [];
    s3.middlewareStack.add((next) => async (args) => {
      const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
      sent.push(Object.fromEntries(Object.entries(headers).filter(([k]) => k.startsWith('x-amz-server-side-encryption-customer'))));
      return next(args);
    }, { step: 'finalizeRequest', name: 'recordSseCHeaders' });
    try {
      const bucket = stack.config.s3.bucket;
      const body = randomBytes(100_000);
      const { keyMD5, sidecarKey } = await putWithHsmKey(s3, hsm.provider, bucket, 'ssec/report.pdf', body);
      // The key sidecar is written first (no SSE-C headers), then the object under the key.
      const objectPut = sent.find((h) => h['x-amz-server-side-encryption-customer-algorithm'] !== undefined);
      expect(objectPut).toMatchObject({ 'x-amz-server-side-encryption-customer-algorithm': 'AES256', 'x-amz-server-side-encryption-customer-key-md5': keyMD5 });
      const keyB64 = objectPut!['x-amz-server-side-encryption-customer-key']!;
      expect(Buffer.from(keyB64, 'base64')).toHaveLength(32);
      expect(createHash('md5').update(Buffer.from(keyB64, 'base64')).digest('base64')).toBe(keyMD5);

      const back = await getWithHsmKey(s3, hsm.provider, bucket, 'ssec/report.pdf');
      expect(Buffer.from(back).equals(body)).toBe(true);
      const getHeaders = sent.at(-1)!;
      expect(getHeaders['x-amz-server-side-encryption-customer-key']).toBe(keyB64); // the same key, unwrapped in the HSM

      // Only a wrapped copy is stored: in the metadata and in the sidecar object.
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'ssec/report.pdf' }));
      const wrapped = head.Metadata?.['x-strongroom-sse-c-key'];
      expect(wrapped).toBeTruthy();
      expect(wrapped).not.toContain(keyB64);
      const sidecar = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: sidecarKey }));
      expect(await sidecar.Body!.transformToString()).not.toContain(keyB64);

      // Another backend's key cannot recover it.
      await expect(loadSseCKey(s3, kms.provider, { Bucket: bucket, Key: 'ssec/report.pdf' })).rejects.toSatisfy((e: unknown) => StrongroomError.isInstance(e, 'NO_DECRYPTION_KEY'));
    } finally {
      await hsm.close();
      await kms.close();
      s3.destroy();
    }
  });
});
