/**
 * Local-server starter: kms-local as its own process (`strongroom-kms`, the built dist/cli.mjs), for tests
 * that must signal it — SIGSTOP makes a hung peer: the kernel still accepts connections, nothing
 * answers (POSIX signal(7), https://man7.org/linux/man-pages/man7/signal.7.html).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A started kms-local process and the endpoint it printed. */
export interface KmsLocalProcess {
  readonly child: ChildProcess;
  readonly endpoint: string;
  /** SIGCONT (in case it was stopped), then SIGKILL; resolves when it has exited. */
  kill(): Promise<void>;
}

/**
 * Spawn `strongroom-kms` with `args` (e.g. `--data-dir D --port 0`) and strict credentials from the environment.
 * @example
 * const kms = await spawnKmsLocal(['--data-dir', dir, '--port', '0'], { accessKeyId, secretAccessKey });
 */
export function spawnKmsLocal(args: string[], credentials: { accessKeyId: string; secretAccessKey: string }): Promise<KmsLocalProcess> {
  const cli = join(dirname(createRequire(import.meta.url).resolve('@strongroom/kms-local/package.json')), 'dist', 'cli.mjs');
  // Tied to this process: stdin is a pipe never written to, so kms-local stops when this process ends, however it ends.
  const child = spawn(process.execPath, [cli, ...args, '--stop-on-stdin-close'], {
    env: { ...process.env, KMS_LOCAL_ACCESS_KEY_ID: credentials.accessKeyId, KMS_LOCAL_SECRET_ACCESS_KEY: credentials.secretAccessKey },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin!.on('error', () => undefined);
  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  };
  return new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => void kill().then(() => reject(new Error(`kms-local did not start: ${out}`))), 30_000);
    child.stderr!.on('data', (d: Buffer) => void (out += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (https?:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ child, endpoint: m[1]!, kill });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`kms-local exited (${code}): ${out}`));
    });
  });
}
