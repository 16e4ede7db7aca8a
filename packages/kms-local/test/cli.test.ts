/**
 * The `strongroom-kms` CLI as a child process (built dist/cli.mjs; root `npm test` builds first).
 */
import { CreateKeyCommand, DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CREDENTIALS, tempDir } from './helpers';

const cli = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url));
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

/** Start the CLI; its stdin is /dev/null (end of file at once) unless `stdin` is 'pipe'. */
function start(args: string[], env: Record<string, string> = {}, stdin: 'ignore' | 'pipe' = 'ignore'): Promise<string> {
  child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: [stdin, 'pipe', 'pipe'] });
  stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    child!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child!.once('exit', (code) => reject(new Error(`strongroom-kms exited with ${code}: ${out}`)));
  });
}

if (!existsSync(cli)) console.warn(`skipping CLI suite: ${cli} is not built (run npx turbo run build --filter=@strongroom/kms-local)`);

describe.runIf(existsSync(cli) || process.env.STRONGROOM_REQUIRE_ALL_SUITES === '1')('strongroom-kms CLI', () => {
  it('serves the SDK in strict mode and stops on SIGTERM', async () => {
    dir = await tempDir();
    const endpoint = await start(['--data-dir', dir, '--port', '0'], {
      KMS_LOCAL_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      KMS_LOCAL_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    });
    const kms = new KMSClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
    try {
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
      const enc = await kms.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: new TextEncoder().encode('cli') }));
      const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
      expect(new TextDecoder().decode(dec.Plaintext)).toBe('cli');
      const wrong = new KMSClient({ endpoint, region: 'us-east-1', credentials: { ...CREDENTIALS, secretAccessKey: 'x' }, maxAttempts: 1 });
      await expect(wrong.send(new CreateKeyCommand({}))).rejects.toMatchObject({ name: 'InvalidSignatureException' });
      wrong.destroy();
    } finally {
      kms.destroy();
    }
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('takes the secret from a file; warns when it is on argv, and when there are no credentials', async () => {
    dir = await tempDir();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${dir}/secret`, `${CREDENTIALS.secretAccessKey}\n`, { mode: 0o600 });
    const stop = async () => {
      const exited = new Promise((r) => child!.once('exit', r));
      child!.kill('SIGTERM');
      await exited; // stderr is complete once the process has exited
    };
    const endpoint = await start(['--data-dir', dir, '--port', '0', '--access-key-id', CREDENTIALS.accessKeyId, '--secret-access-key-file', `${dir}/secret`]);
    const kms = new KMSClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
    await kms.send(new CreateKeyCommand({}));
    kms.destroy();
    await stop();
    expect(stderr).not.toMatch(/warning/i);
    await start(['--data-dir', dir, '--port', '0', '--access-key-id', 'A', '--secret-access-key', 'visible-in-ps']);
    await stop();
    expect(stderr).toMatch(/warning: --secret-access-key is visible/);
    await start(['--data-dir', dir, '--port', '0']);
    await stop();
    expect(stderr).toMatch(/WARNING: no credentials configured/);
  }, 90_000);

  it('with --stop-on-stdin-close, stops when its standard input closes (its starter gone); without it, ignores stdin', async () => {
    dir = await tempDir();
    const env = { KMS_LOCAL_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, KMS_LOCAL_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey };
    const endpoint = await start(['--data-dir', dir, '--port', '0', '--stop-on-stdin-close'], env, 'pipe');
    const kms = new KMSClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
    try {
      child!.stdin!.write('bytes written to it are ignored\n');
      await kms.send(new CreateKeyCommand({}));
    } finally {
      kms.destroy();
    }
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child!.stdin!.end();
    expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running after 10 s'), 10_000))])).toBe(0);
    // The same server started with stdin at end of file (the other tests' default) stays up.
    await start(['--data-dir', dir, '--port', '0'], env);
    await new Promise((r) => setTimeout(r, 1000));
    expect(child!.exitCode).toBeNull();
  });

  it('refuses half a credential pair', async () => {
    dir = await tempDir();
    child = spawn(process.execPath, [cli, '--data-dir', dir, '--access-key-id', 'A'], { stdio: 'ignore' });
    const code = await new Promise<number | null>((r) => child!.once('exit', (c) => r(c)));
    expect(code).toBe(2);
  });
});
