/**
 * HEAD (and GET) tell the truth: the plaintext length of a V2/V3 object is computed from its
 * ciphertext length (GCM: minus the 16-byte tag), never taken from `x-amz-unencrypted-content-length`.
 * The attack: whoever can write an object's metadata sets that header to a lie; before, HeadObject
 * reported it as ContentLength for objects whose envelope is in an instruction file.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { EncryptedS3Client } from '../src/index';
import { plaintextLength } from '../src/object-ops';
import type { LocalS3 } from './helpers/s3rver';
import { s3Servers } from './helpers/s3-servers';
import { aesProvider } from './helpers/providers';

let s3: LocalS3;

describe.each(s3Servers('HEAD length'))('on %s', (_server, startServer) => {
  beforeAll(async () => {
    s3 = await startServer();
  });
  afterAll(async () => {
    await s3?.close();
  });

  /** Replace the object's metadata (server-side copy onto itself), keeping its bytes. */
  async function forgeMetadata(key: string, change: Record<string, string>) {
    const raw = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
    const Metadata = { ...(raw.Metadata ?? {}), ...change };
    await s3.client.send(new CopyObjectCommand({ Bucket: s3.bucket, Key: key, CopySource: `${s3.bucket}/${key}`, MetadataDirective: 'REPLACE', Metadata }));
    for (let i = 0; i < 50; i++) {
      const now = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
      if (Object.entries(change).every(([k, v]) => now.Metadata?.[k] === v)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the server did not apply the forged metadata');
  }

  describe.each(['v2', 'v3'] as const)('%s', (format) => {
    it.each(['metadata', 'instruction-file'] as const)('envelope in %s: a forged x-amz-unencrypted-content-length is ignored', async (envelopeLocation) => {
      const c = new EncryptedS3Client({ client: s3.client, keyProvider: aesProvider(), format, envelopeLocation });
      const key = `len/${format}/${envelopeLocation}`;
      const plaintext = randomBytes(1234);
      await c.putObject({ Bucket: s3.bucket, Key: key, Body: plaintext });
      await forgeMetadata(key, { 'x-amz-unencrypted-content-length': '999999999' });
      const head = await c.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key }));
      expect(head.ContentLength).toBe(1234);
      const got = await c.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
      expect(got.ContentLength).toBe(1234);
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(plaintext)).toBe(true);
    });
  });
});

describe('plaintextLength', () => {
  it('GCM: ciphertext minus the tag, whatever the metadata claims', () => {
    expect(plaintextLength({ contentAlgorithm: 'gcm', unencryptedContentLength: 5 }, 116)).toBe(100);
    expect(plaintextLength({ contentAlgorithm: 'committing', unencryptedContentLength: undefined }, 16)).toBe(0);
    expect(() => plaintextLength({ contentAlgorithm: 'gcm', unencryptedContentLength: undefined }, 15)).toThrow(/tag/);
  });
  it('CBC: the claimed length only inside the padding window', () => {
    expect(plaintextLength({ contentAlgorithm: 'cbc', unencryptedContentLength: 100 }, 112)).toBe(100);
    expect(plaintextLength({ contentAlgorithm: 'cbc', unencryptedContentLength: 96 }, 112)).toBe(96);
    expect(plaintextLength({ contentAlgorithm: 'cbc', unencryptedContentLength: 111 }, 112)).toBe(111);
    for (const lie of [95, 112, 10_000]) expect(() => plaintextLength({ contentAlgorithm: 'cbc', unencryptedContentLength: lie }, 112)).toThrow(/contradicts/);
    expect(() => plaintextLength({ contentAlgorithm: 'cbc', unencryptedContentLength: 1 }, 17)).toThrow(/multiple of 16/);
  });
});
