/**
 * Secrets on argv (proc(5): /proc/<pid>/cmdline is readable by every local user, which is what `ps`
 * shows). The built `strongroom-kms` takes its secret access key from the environment or a
 * `--secret-access-key-file` without it appearing in its command line; the argv form still works
 * for scripts but warns. The shared secret reader is the same file in kms-local and hsm-local.
 */
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CREDENTIALS, tempDir } from './helpers';

const cli = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url));
const SECRET = `${CREDENTIALS.secretAccessKey}-argv-probe`;
let child: ChildProcess | undefined;
let dir: string | undefined;
let stderr = '';

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

function start(args: string[], env: Record<string, string> = {}): Promise<string> {
  const base = { ...process.env };
  delete base.KMS_LOCAL_ACCESS_KEY_ID;
  delete base.KMS_LOCAL_SECRET_ACCESS_KEY;
  child = spawn(process.execPath, [cli, ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child!.once('exit', (code) => reject(new Error(`strongroom-kms exited with ${code}: ${out}${stderr}`)));
  });
}

async function stop(): Promise<void> {
  const exited = new Promise((r) => child!.once('exit', r));
  child!.kill('SIGTERM');
  await exited;
}

/** What every local user sees of the child's command line. */
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');

/** A signed CreateKey with the given secret succeeds (strict mode with exactly that secret). */
async function works(endpoint: string, secretAccessKey: string): Promise<void> {
  const kms = new KMSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey }, maxAttempts: 1 });
  try {
    await kms.send(new CreateKeyCommand({}));
    const wrong = new KMSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: `${secretAccessKey}x` }, maxAttempts: 1 });
    await expect(wrong.send(new CreateKeyCommand({}))).rejects.toMatchObject({ name: 'InvalidSignatureException' });
    wrong.destroy();
  } finally {
    kms.destroy();
  }
}

describe.runIf(existsSync(cli) && existsSync('/proc/self/cmdline'))('strongroom-kms secrets stay off argv', () => {
  it('from the environment: works, no warning, not in /proc/<pid>/cmdline', async () => {
    dir = await tempDir();
    const endpoint = await start(['--data-dir', dir, '--port', '0', '--access-key-id', CREDENTIALS.accessKeyId], { KMS_LOCAL_SECRET_ACCESS_KEY: SECRET });
    expect(cmdline(child!.pid!)).not.toContain(SECRET);
    await works(endpoint, SECRET);
    await stop();
    expect(stderr).not.toMatch(/warning/i);
  }, 60_000);

  it('from a 0600 file: works, no warning, not in /proc/<pid>/cmdline; a group-readable file warns', async () => {
    dir = await tempDir();
    await writeFile(`${dir}/secret`, `${SECRET}\n`, { mode: 0o600 });
    const endpoint = await start(['--data-dir', dir, '--port', '0', '--access-key-id', CREDENTIALS.accessKeyId, '--secret-access-key-file', `${dir}/secret`]);
    expect(cmdline(child!.pid!)).not.toContain(SECRET);
    await works(endpoint, SECRET);
    await stop();
    expect(stderr).not.toMatch(/warning/i);

    await writeFile(`${dir}/shared`, SECRET, { mode: 0o640 });
    const again = await start(['--data-dir', dir, '--port', '0', '--access-key-id', CREDENTIALS.accessKeyId, '--secret-access-key-file', `${dir}/shared`]);
    await works(again, SECRET);
    await stop();
    expect(stderr).toMatch(/warning: --secret-access-key-file .*shared is readable by its group; chmod 600/);
  }, 60_000);

  it('refuses an oversized secret file, and both the file and the argv flag', async () => {
    dir = await tempDir();
    await writeFile(`${dir}/big`, 'x'.repeat(64 * 1024 + 1), { mode: 0o600 });
    await expect(start(['--data-dir', dir, '--port', '0', '--access-key-id', 'A', '--secret-access-key-file', `${dir}/big`])).rejects.toThrow(/exited with 2/);
    expect(stderr).toMatch(/larger than 65536 bytes/);
    await writeFile(`${dir}/s`, 'x', { mode: 0o600 });
    await expect(start(['--data-dir', dir, '--port', '0', '--access-key-id', 'A', '--secret-access-key-file', `${dir}/s`, '--secret-access-key', 'y'])).rejects.toThrow(/exited with 2/);
    expect(stderr).toMatch(/not both/);
  }, 60_000);

  it('on argv (the attack): still works for scripts, but the secret is in /proc/<pid>/cmdline and it warns', async () => {
    dir = await tempDir();
    const endpoint = await start(['--data-dir', dir, '--port', '0', '--access-key-id', CREDENTIALS.accessKeyId, '--secret-access-key', SECRET]);
    expect(cmdline(child!.pid!)).toContain(SECRET);
    await works(endpoint, SECRET);
    await stop();
    expect(stderr).toMatch(/warning: --secret-access-key is visible to every local user \(ps\)/);
  }, 60_000);
});
