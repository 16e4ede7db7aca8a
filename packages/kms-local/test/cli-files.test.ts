/**
 * Files named on `strongroom-kms`'s command line are read bounded (@strongroom/node-files): a FIFO with
 * no writer as `--hsm-clusters` (a blocking read hung the server before it started) and /dev/zero as
 * `--tls-cert` (an endless read grew the process until it failed) are refused at once with exit
 * status 2 and a line naming the flag and the file.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url));
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kms-local-cli-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run strongroom-kms; a run still going after 30 s is killed (code null): that is the hang. */
function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, '--data-dir', join(dir, 'data'), '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      if (/listening on/.test(d.toString())) child.kill('SIGTERM');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('strongroom-kms: files named by flags', () => {
  it('--hsm-clusters naming a FIFO with no writer exits 2 at once, naming it', async () => {
    const fifo = join(dir, 'clusters.fifo');
    execFileSync('mkfifo', [fifo]);
    const r = await run(['--hsm-clusters', fifo]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`strongroom-kms: --hsm-clusters ${fifo}: is a FIFO (named pipe), not a regular file`);
  }, 60_000);

  it('--tls-cert /dev/zero exits 2 at once; an oversized --tls-key is refused naming the cap', async () => {
    writeFileSync(join(dir, 'key.pem'), 'k');
    const zero = await run(['--tls-cert', '/dev/zero', '--tls-key', join(dir, 'key.pem')]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('strongroom-kms: --tls-cert /dev/zero: is a character device, not a regular file');
    writeFileSync(join(dir, 'cert.pem'), 'c');
    writeFileSync(join(dir, 'huge.pem'), Buffer.alloc(300 * 1024, 0x41));
    const huge = await run(['--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'huge.pem')]);
    expect(huge.code).toBe(2);
    expect(huge.stderr).toContain(`strongroom-kms: --tls-key ${join(dir, 'huge.pem')}: larger than 262144 bytes`);
  }, 60_000);
});
