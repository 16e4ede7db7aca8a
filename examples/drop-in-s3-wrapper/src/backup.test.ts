/**
 * The same backup script run twice against the dev stack's S3: with a plain S3Client (objects
 * stored readable) and with EncryptedS3Client over the HSM cluster (objects stored as ciphertext,
 * restored byte-identical, unreadable without the key).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyProviderFromUri, s3ClientFor, startDevStack, type DevStack } from '@strongroom/cli';
import { backupDirectory, makeClient, restoreDirectory } from './backup';

let stack: DevStack;
let tmp: string;
const files: Record<string, Buffer> = { 'notes.txt': Buffer.from('quarterly numbers: confidential\n'), 'blob.bin': randomBytes(300_000), 'empty.txt': Buffer.alloc(0) };

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'example-dropin-'));
  stack = await startDevStack({ dir: join(tmp, 'stack') });
  mkdirSync(join(tmp, 'data'));
  for (const [n, b] of Object.entries(files)) writeFileSync(join(tmp, 'data', n), b);
});
afterAll(async () => {
  await stack?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

function s3Config() {
  const s = stack.config.s3;
  return { endpoint: s.endpoint, region: s.region, forcePathStyle: true, credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey }, requestChecksumCalculation: 'WHEN_REQUIRED' as const, responseChecksumValidation: 'WHEN_REQUIRED' as const };
}

async function storedBytes(key: string): Promise<Buffer> {
  const raw = s3ClientFor(stack.config.s3);
  try {
    const out = await raw.send(new GetObjectCommand({ Bucket: stack.config.s3.bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  } finally {
    raw.destroy();
  }
}

describe('drop-in S3 wrapper', () => {
  it('the plain script stores plaintext', async () => {
    const plain = makeClient(s3Config());
    expect(await backupDirectory(plain, stack.config.s3.bucket, join(tmp, 'data'), 'plain')).toEqual(['blob.bin', 'empty.txt', 'notes.txt']);
    expect((await storedBytes('plain/notes.txt')).toString()).toContain('confidential');
  });

  it('the same script with EncryptedS3Client stores ciphertext and restores the files', async () => {
    const opened = await keyProviderFromUri(`hsm://${stack.config.keyLabel}`, { config: stack.config });
    try {
      const encrypted = makeClient(s3Config(), opened.provider); // the one changed line
      await backupDirectory(encrypted, stack.config.s3.bucket, join(tmp, 'data'), 'encrypted');
      const stored = await storedBytes('encrypted/notes.txt');
      expect(stored.toString('latin1')).not.toContain('confidential');
      expect(stored.length).toBe(files['notes.txt']!.length + 16);

      expect(await restoreDirectory(encrypted, stack.config.s3.bucket, 'encrypted', join(tmp, 'restored'))).toHaveLength(3);
      for (const [n, b] of Object.entries(files)) expect(readFileSync(join(tmp, 'restored', n)).equals(b)).toBe(true);

      // Without the key the plain script gets ciphertext back, not the file.
      await restoreDirectory(makeClient(s3Config()), stack.config.s3.bucket, 'encrypted', join(tmp, 'no-key'));
      expect(readFileSync(join(tmp, 'no-key', 'notes.txt')).equals(files['notes.txt']!)).toBe(false);
    } finally {
      await opened.close();
    }
  });
});
