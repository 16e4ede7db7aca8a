/**
 * Persistence under failure (issue 18 item 10): a write that is not durable must not be visible,
 * a full disk answers a typed, actionable error (not KMSInternalException) and the server logs why,
 * the bytes written per change do not grow with the number of keys, and a process killed at any
 * instant leaves the old or the new state. The full disk is a real one: a small tmpfs (needs root;
 * skipped with a notice otherwise). Bytes written are the process's own write(2) count
 * (/proc/self/io `wchar`, Linux), so the measure does not depend on how the server stores state.
 */
import { CreateKeyCommand, DecryptCommand, EncryptCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startKmsServer } from '../src/index';
import { clientFor, CREDENTIALS, startTestServer, tempDir } from './helpers';

function canMountTmpfs(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const TMPFS = canMountTmpfs();
if (!TMPFS) console.warn('persistence.test: not root (or no mount): the full-disk case is skipped');

async function withTmpfs<T>(sizeKiB: number, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await tempDir();
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0700`, 'tmpfs', dir]);
  try {
    return await fn(dir);
  } finally {
    execFileSync('umount', ['-l', dir]);
    await rm(dir, { recursive: true, force: true });
  }
}

describe.runIf(TMPFS)('a full data directory', () => {
  it('CreateKey that cannot be persisted answers StorageFullException, is not listed or usable, and the server logs ENOSPC', async () => {
    await withTmpfs(192, async (mnt) => {
      const dataDir = join(mnt, 'kms');
      await mkdir(dataDir);
      const lines: string[] = [];
      const server = await startKmsServer({ dataDir, credentials: CREDENTIALS, log: (l) => lines.push(l) });
      const kms = clientFor(server);
      const acknowledged: string[] = [];
      let failure: { name: string; message: string; $metadata: { httpStatusCode: number } } | undefined;
      let blob: Uint8Array | undefined;
      try {
        for (let i = 0; i < 5000 && !failure; i++) {
          try {
            const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'x'.repeat(2000) }));
            acknowledged.push(KeyMetadata!.KeyId!);
            blob ??= (await kms.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: new Uint8Array([7]) }))).CiphertextBlob;
          } catch (e) {
            failure = e as typeof failure;
          }
        }
        expect(failure, 'the disk never filled').toBeDefined();
        expect(failure!.name).toBe('StorageFullException');
        expect(failure!.name).not.toBe('KMSInternalException');
        expect(failure!.message).toMatch(/ENOSPC/);
        expect(failure!.message).toMatch(/free space/i);
        expect(lines.join('\n')).toMatch(/ENOSPC/);
        // The failed key is nowhere: the listing holds exactly the acknowledged keys.
        const listed = (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys!.map((k) => k.KeyId);
        expect(listed.sort()).toEqual([...acknowledged].sort());
      } finally {
        kms.destroy();
        await server.close();
      }
      // After a restart: every acknowledged key, nothing else; old ciphertexts decrypt.
      const again = await startKmsServer({ dataDir, credentials: CREDENTIALS, log: () => {} });
      const kms2 = clientFor(again);
      try {
        const listed = (await kms2.send(new ListKeysCommand({ Limit: 1000 }))).Keys!.map((k) => k.KeyId);
        expect(listed.sort()).toEqual([...acknowledged].sort());
        expect((await kms2.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext).toEqual(new Uint8Array([7]));
      } finally {
        kms2.destroy();
        await again.close();
      }
    });
  }, 120_000);
});

const wchar = (): number => Number(/wchar:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);

describe.runIf(existsSync('/proc/self/io'))('bytes written per change', () => {
  it('do not grow with the number of keys', async () => {
    const { server, cleanup } = await startTestServer();
    const kms = clientFor(server);
    const perCreate = async (n: number) => {
      const before = wchar();
      for (let i = 0; i < n; i++) await kms.send(new CreateKeyCommand({}));
      return (wchar() - before) / n;
    };
    try {
      await perCreate(10);
      const small = await perCreate(10);
      await Promise.all(Array.from({ length: 8 }, () => (async () => { for (let i = 0; i < 50; i++) await kms.send(new CreateKeyCommand({})); })()));
      const large = await perCreate(10);
      // 20 keys vs 420 keys: a whole-state rewrite writes ~20× more per key; an incremental log the same.
      expect(large).toBeLessThan(small * 1.5);
    } finally {
      kms.destroy();
      await cleanup();
    }
  }, 120_000);
});

const cli = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url));

describe.runIf(existsSync(cli))('killed mid-write (SIGKILL)', () => {
  it('every acknowledged key is there after a restart, and the state loads', async () => {
    const dataDir = await tempDir();
    try {
      for (let round = 0; round < 3; round++) {
        const child = spawn(process.execPath, [cli, '--data-dir', dataDir, '--port', '0'], {
          env: { ...process.env, KMS_LOCAL_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, KMS_LOCAL_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const endpoint = await new Promise<string>((resolve, reject) => {
          let out = '';
          let err = '';
          child.stdout!.on('data', (d: Buffer) => {
            out += d.toString();
            const m = /listening on (https?:\/\/127\.0\.0\.1:\d+)/.exec(out);
            if (m) resolve(m[1]!);
          });
          child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
          child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}${err}`)));
        });
        const kms = new KMSClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
        const acknowledged: string[] = [];
        let stopped = 0;
        const writers = Array.from({ length: 6 }, async () => {
          for (;;) {
            try {
              acknowledged.push((await kms.send(new CreateKeyCommand({ Description: 'd'.repeat(500) }))).KeyMetadata!.KeyId!);
            } catch {
              stopped++;
              return;
            }
          }
        });
        // Kill with writes in flight, after a few acknowledged ones (more each round): counted, not
        // timed, so a slow machine kills no earlier in the sequence of writes than a fast one.
        while (acknowledged.length < 4 + round * 8 && stopped < writers.length) await new Promise((r) => setTimeout(r, 5));
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
        await Promise.all(writers);
        kms.destroy();
        const again = await startKmsServer({ dataDir, credentials: CREDENTIALS, log: () => {} });
        const kms2 = clientFor(again);
        try {
          const listed = new Set<string>();
          let marker: string | undefined;
          do {
            const page = await kms2.send(new ListKeysCommand({ Limit: 1000, ...(marker && { Marker: marker }) }));
            for (const k of page.Keys!) listed.add(k.KeyId!);
            marker = page.NextMarker;
          } while (marker);
          expect(acknowledged.length).toBeGreaterThan(0);
          for (const id of acknowledged) expect(listed.has(id), id).toBe(true);
        } finally {
          kms2.destroy();
          await again.close();
        }
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
