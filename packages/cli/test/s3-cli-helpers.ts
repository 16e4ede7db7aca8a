/**
 * Helpers for the large-object `s3 cp` tests: a local S3 (s3rver) with a config file that points the
 * CLI at it (raw-aes:// keys need no other backend), generated data streamed without holding it, and
 * the CLI run as a child process that reports its peak resident set size (getrusage(2) ru_maxrss,
 * through Node's process.resourceUsage()).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { generatedStream } from '@strongroom/testing';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { startLocalS3 } from '../src/local-s3';
import { CLI, ROOT } from './helpers';

export const BUCKET = 'strongroom-large';

/** A running s3rver, its storage directory and a config file naming it. */
export interface S3OnlyStack {
  readonly dir: string;
  readonly configPath: string;
  readonly endpoint: string;
  readonly storage: string;
  readonly rawKeyBase64: string;
  close(): Promise<void>;
}

/** s3rver in a temporary directory plus a dev config whose HSM and KMS sections are never contacted. */
export async function startS3Only(): Promise<S3OnlyStack> {
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-s3-large-'));
  const storage = join(dir, 's3');
  const s3 = await startLocalS3({ directory: storage, port: 0, bucket: BUCKET });
  const configPath = join(dir, 'dev.json');
  const unused = join(dir, 'unused.pem');
  writeFileSync(
    configPath,
    JSON.stringify({
      version: 1,
      keyLabel: 'unused',
      hsm: { clusterId: 'unused', nodes: [{ url: 'tls://127.0.0.1:9', az: 'a' }], az: 'a', trustAnchorPath: unused, clientCertPath: unused, clientKeyPath: unused, user: 'u', password: 'p' },
      kms: { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', accessKeyId: 'x', secretAccessKey: 'x', keyArn: 'arn:aws:kms:us-east-1:111122223333:key/unused', alias: 'alias/unused' },
      s3: { endpoint: s3.endpoint, region: 'us-east-1', bucket: BUCKET, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      cks: { available: false, reason: 'not used' },
      hsmAdmin: { user: 'admin', password: 'unused' },
      hsmClusterDir: dir,
    }),
    { mode: 0o600 },
  );
  return {
    dir,
    configPath,
    endpoint: s3.endpoint,
    storage,
    rawKeyBase64: randomBytes(32).toString('base64'),
    async close() {
      await s3.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Arguments of `strongroom s3 cp FROM TO` against `stack` with a raw AES key (run with STRONGROOM_RAW_AES_KEY = its rawKeyBase64). */
export function cpArgs(stack: S3OnlyStack, from: string, to: string): string[] {
  return ['--config', stack.configPath, 's3', 'cp', from, to, '--key', 'raw-aes://large/key-1'];
}

/** Where s3rver keeps an object's bytes (its file-system store: `<bucket>/<key>._S3rver_object`). */
export function storedObjectPath(stack: S3OnlyStack, key: string): string {
  return join(stack.storage, BUCKET, `${key}._S3rver_object`);
}

/** `size` bytes of deterministic pseudo-random data, generated as it is read (@strongroom/testing). */
export const generated = (size: number, seed: number): Readable => generatedStream(size, seed);

/** SHA-256 (hex) of a stream. */
export async function sha256Of(stream: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of stream) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface CliRun {
  code: number | null;
  stderr: string;
  /** SHA-256 (hex) of everything written to stdout. */
  stdoutSha256: string;
  stdoutBytes: number;
  /** Peak resident set size of the CLI process, in bytes. */
  maxRssBytes: number;
}

/**
 * Run the built CLI with `stdin` streamed in; stdout is hashed, not kept. The child's peak RSS comes
 * from a `--require`d module that writes `process.resourceUsage().maxRSS` to a file at exit.
 */
export async function runCliStreaming(args: string[], options: { stdin?: Readable; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliRun> {
  const rssDir = mkdtempSync(join(tmpdir(), 'strongroom-rss-'));
  const preload = join(rssDir, 'rss.cjs');
  const rssFile = join(rssDir, 'rss');
  writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS * 1024)));\n`);
  try {
    const child = spawn(process.execPath, ['--require', preload, CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const hash = createHash('sha256');
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      hash.update(d);
      bytes += d.length;
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => {});
    if (options.stdin) options.stdin.pipe(child.stdin as Writable);
    else child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    const code = await new Promise<number | null>((res, rej) => {
      child.on('error', rej);
      child.on('close', (c) => res(c));
    });
    clearTimeout(timer);
    let maxRssBytes = Number.NaN;
    try {
      maxRssBytes = Number(readFileSync(rssFile, 'utf8'));
    } catch {
      // killed before exit handlers ran
    }
    return { code, stderr, stdoutSha256: hash.digest('hex'), stdoutBytes: bytes, maxRssBytes };
  } finally {
    rmSync(rssDir, { recursive: true, force: true });
  }
}
