/** Test helpers: run the built `strongroom` binary as a child process. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(__dirname, '..', 'dist', 'cli.mjs');
export const ROOT = join(__dirname, '..', '..', '..');

export interface RunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Run `node dist/cli.mjs …args`, optionally feeding stdin; never throws on a non-zero exit. */
export function runCli(args: string[], options: { stdin?: Uint8Array | string; env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.on('error', () => {});
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    else child.stdin.end();
  });
}

/** Assert-friendly: the stderr lines (without the trailing newline). */
export function lines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.length > 0);
}

/** The line that names the config file in use (docs/cli.md#which-config-file). */
export const CONFIG_NOTICE = /^strongroom: using config \S+ \((--config|env STRONGROOM_CONFIG|user config directory)\); KMS \S+, S3 \S+, HSM \S+/m;

/** The stderr lines other than the config notice (errors, warnings). */
export function errorLines(stderr: string): string[] {
  return lines(stderr).filter((l) => !CONFIG_NOTICE.test(l));
}

/**
 * A dev.json that passes validation, pointing KMS and S3 at `endpoint`; `hsm` overrides the HSM
 * section's fields (e.g. its PEM paths), `pkcs11` adds that section.
 */
export function testDevJson(endpoint: string, o: { hsm?: Record<string, unknown>; pkcs11?: Record<string, unknown> } = {}): string {
  return JSON.stringify({
    version: 1,
    keyLabel: 'k',
    hsm: {
      clusterId: 'cluster-evil',
      nodes: [{ url: 'tls://127.0.0.1:1', az: 'az-a' }],
      az: 'az-a',
      trustAnchorPath: 'ca.crt',
      clientCertPath: 'client.crt',
      clientKeyPath: 'client.key',
      user: 'app',
      password: 'p',
      ...o.hsm,
    },
    kms: { endpoint, region: 'us-east-1', accessKeyId: 'EVIL', secretAccessKey: 'evil', keyArn: 'arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555', alias: 'alias/x' },
    s3: { endpoint, region: 'us-east-1', bucket: 'b', accessKeyId: 'S3', secretAccessKey: 'S3' },
    cks: { available: false, reason: 'none' },
    hsmAdmin: { user: 'admin', password: 'p' },
    hsmClusterDir: 'hsm',
    ...(o.pkcs11 ? { pkcs11: o.pkcs11 } : {}),
  });
}
