/**
 * `strongroom dev --s3 rgw`: where Ceph is missing, a typed UNSUPPORTED error with the apt-get line
 * before anything starts; where it is installed, the stack's S3 is a real RGW (an encrypted round
 * trip through it), and stop() ends its daemons. Skips with a printed reason without Ceph (fails
 * under STRONGROOM_REQUIRE_ALL_SUITES=1).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { RawAesKeyProvider, StrongroomError } from '@strongroom/core';
import { EncryptedS3Client } from '@strongroom/s3';
import { rgwUnavailable } from '@strongroom/testing/servers';
import { startDevStack } from '../src/dev-stack';
import { s3ClientFor } from '../src/s3-client';

const tmp = mkdtempSync(join(tmpdir(), 'strongroom-dev-rgw-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const reason = rgwUnavailable();
if (reason && process.env.STRONGROOM_REQUIRE_ALL_SUITES === '1') throw new Error(`dev --s3 rgw: ${reason} (STRONGROOM_REQUIRE_ALL_SUITES=1)`);
if (reason) console.warn(`[skip] dev --s3 rgw: ${reason}`);

describe('strongroom dev --s3 rgw', () => {
  it('without Ceph: UNSUPPORTED with the apt-get line, before anything starts', async () => {
    const path = process.env.PATH;
    process.env.PATH = join(tmp, 'empty-path');
    try {
      const dir = join(tmp, 'no-ceph');
      const err = await startDevStack({ dir, localS3: 'rgw' }).catch((e: unknown) => e);
      expect(StrongroomError.isInstance(err, 'UNSUPPORTED'), String(err)).toBe(true);
      expect((err as Error).message).toContain('apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd');
      expect(existsSync(dir)).toBe(false);
    } finally {
      process.env.PATH = path;
    }
  });

  it.skipIf(!!reason)('serves a real RGW with the dev bucket; stop() ends its daemons', { timeout: 300_000 }, async () => {
    // Only daemons this stack starts count (another RGW, e.g. the s3 suites', may be running).
    const before = new Set(readdirPids());
    const stack = await startDevStack({ dir: join(tmp, 'stack'), localS3: 'rgw' });
    let pids: number[] = [];
    try {
      const dirRe = /strongroom-rgw-[A-Za-z0-9]+/;
      const s3 = s3ClientFor(stack.config.s3);
      try {
        const enc = new EncryptedS3Client({ client: s3, keyProvider: RawAesKeyProvider({ namespace: 't', name: 'k', key: Buffer.alloc(32, 3) }) });
        await enc.send(new PutObjectCommand({ Bucket: stack.config.s3.bucket, Key: 'hello', Body: 'hello rgw' }));
        const got = await enc.send(new GetObjectCommand({ Bucket: stack.config.s3.bucket, Key: 'hello' }));
        expect(await got.Body!.transformToString()).toBe('hello rgw');
        // A real S3: unsigned requests are refused.
        expect((await fetch(`${stack.config.s3.endpoint}/${stack.config.s3.bucket}/hello`)).status).toBe(403);
      } finally {
        s3.destroy();
      }
      pids = readdirPids().filter((p) => !before.has(p) && dirRe.test(cmdline(p)) && /radosgw|ceph-mon|ceph-osd/.test(cmdline(p)));
      expect(pids.length).toBeGreaterThanOrEqual(3);
    } finally {
      await stack.stop();
    }
    expect(pids.filter((p) => existsSync(`/proc/${p}`) && !readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.startsWith('Z'))).toEqual([]);
  });
});

function readdirPids(): number[] {
  return readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number);
}
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}
