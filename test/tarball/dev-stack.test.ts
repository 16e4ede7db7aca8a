/**
 * The installed CLI: `npx strongroom --help`, then `strongroom dev` (the bin npm linked from the
 * tarball) and an S3 round trip against it — through the installed libraries (KMS key via
 * @strongroom/provider-kms, @strongroom/s3) and through `strongroom s3 cp` with an HSM key. Then s3rver,
 * the CLI's optional dependency, is taken away: `strongroom dev` says what to do (typed UNSUPPORTED,
 * exit 6) before starting anything, and `strongroom dev --s3-endpoint` works without it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { freePort } from '@strongroom/testing/servers';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cleanEnv, node, run } from './consumer';

const { app, base } = inject('tarball');
const bin = join(app, 'node_modules', '.bin', 'strongroom');

/** Ports drawn from below the kernel's ephemeral range, so no other socket is given them before the stack binds. */
const freePorts = (n: number): Promise<number[]> => Promise.all(Array.from({ length: n }, () => freePort()));

interface Stack {
  readonly child: ChildProcess;
  readonly config: string;
  readonly output: () => string;
}

/** `strongroom dev --dir <dir>` on free ports; resolves once it prints its Ctrl-C line. */
async function startDev(dir: string, extraArgs: string[] = [], env: Record<string, string> = {}): Promise<Stack> {
  const [h1, h2, h3, kms, s3] = await freePorts(5);
  const args = ['dev', '--dir', dir, '--hsm-ports', `${h1},${h2},${h3}`, '--kms-port', String(kms), ...(extraArgs.includes('--s3-endpoint') ? [] : ['--s3-port', String(s3)]), ...extraArgs];
  const child = spawn(bin, args, { cwd: app, env: cleanEnv({ XDG_CONFIG_HOME: join(base, 'xdg'), ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const onData = () => out.includes('Ctrl-C stops it') && done(resolve);
    const onExit = (code: number | null) => done(() => reject(new Error(`strongroom dev exited ${code}:\n${out}`)));
    const done = (f: () => void) => {
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      f();
    };
    child.stdout!.on('data', onData);
    child.on('exit', onExit);
  });
  return { child, config: join(dir, 'dev.json'), output: () => out };
}

async function stop(stack: Stack | undefined): Promise<void> {
  if (!stack || stack.child.exitCode !== null) return;
  const exited = new Promise((resolve) => stack.child.once('exit', resolve));
  stack.child.kill('SIGINT');
  await exited;
}

/** `strongroom s3 cp` up and back down with `key`; returns the downloaded text. */
function s3RoundTrip(config: string, bucket: string, key: string, text: string): string {
  const dir = join(app, `s3cp-${Date.now()}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'in.txt'), text);
  const up = run(bin, ['--config', config, 's3', 'cp', 'in.txt', `s3://${bucket}/tarball/${key}`, '--key', 'hsm://strongroom-dev-kek'], { cwd: dir });
  expect(up.stderr + up.stdout).not.toMatch(/error/i);
  expect(up.code).toBe(0);
  const down = run(bin, ['--config', config, 's3', 'cp', `s3://${bucket}/tarball/${key}`, 'out.txt', '--key', 'hsm://strongroom-dev-kek'], { cwd: dir });
  expect(down.code, down.stderr).toBe(0);
  return readFileSync(join(dir, 'out.txt'), 'utf8');
}

const ROUND_TRIP = `
import { readFileSync } from 'node:fs';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { KMSClient } from '@aws-sdk/client-kms';
import { Agent } from 'node:https';
import { KmsKeyProvider } from '@strongroom/provider-kms';
import { EncryptedS3Client } from '@strongroom/s3';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
// The dev stack serves kms-local over HTTPS with its own certificate (dev.json kms.caPath).
const kms = new KMSClient({
  endpoint: cfg.kms.endpoint, region: cfg.kms.region, credentials: { accessKeyId: cfg.kms.accessKeyId, secretAccessKey: cfg.kms.secretAccessKey },
  ...(cfg.kms.caPath ? { requestHandler: { httpsAgent: new Agent({ ca: readFileSync(cfg.kms.caPath, 'utf8') }) } } : {}),
});
const raw = new S3Client({
  endpoint: cfg.s3.endpoint, region: cfg.s3.region, forcePathStyle: true,
  credentials: { accessKeyId: cfg.s3.accessKeyId, secretAccessKey: cfg.s3.secretAccessKey },
  requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
});
const s3 = new EncryptedS3Client({ client: raw, keyProvider: KmsKeyProvider({ generatorKeyId: cfg.kms.keyArn, clientProvider: () => kms }), kmsKeyIds: [cfg.kms.keyArn] });
const text = 'tarball round trip ' + Math.random();
const where = { Bucket: cfg.s3.bucket, Key: 'tarball/library' };
await s3.send(new PutObjectCommand({ ...where, Body: text }), { encryptionContext: { suite: 'tarball' } });
const stored = await (await raw.send(new GetObjectCommand(where))).Body.transformToString('latin1');
const got = await s3.send(new GetObjectCommand(where), { encryptionContext: { suite: 'tarball' } });
const chunks = [];
for await (const c of got.Body) chunks.push(c);
process.stdout.write(JSON.stringify({ same: Buffer.concat(chunks).toString() === text, storedInClear: stored.includes(text) }));
kms.destroy(); raw.destroy();
`;

describe('the installed CLI', () => {
  let stack: Stack | undefined;
  beforeAll(async () => {
    stack = await startDev(join(base, 'dev'));
  });
  afterAll(() => stop(stack));

  it('npx strongroom --help exits 0 from the installed CLI', () => {
    const r = run('npx', ['strongroom', '--help'], { cwd: app });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Usage: strongroom /);
    expect(r.stdout).toContain('dev [options]');
  });

  it('strongroom dev from the tarball: an S3 round trip through the installed libraries (KMS key) and through `strongroom s3 cp` (HSM key)', () => {
    writeFileSync(join(app, 'roundtrip.mjs'), ROUND_TRIP);
    const r = node(app, ['roundtrip.mjs', stack!.config]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ same: true, storedInClear: false });
    const bucket = (JSON.parse(readFileSync(stack!.config, 'utf8')) as { s3: { bucket: string } }).s3.bucket;
    expect(s3RoundTrip(stack!.config, bucket, 'cli', 'through the CLI')).toBe('through the CLI');
  });

  describe('without s3rver (an optional dependency)', () => {
    const s3rver = join(app, 'node_modules', 's3rver');
    beforeAll(() => renameSync(s3rver, `${s3rver}.hidden`));
    afterAll(() => renameSync(`${s3rver}.hidden`, s3rver));

    it('strongroom dev fails with UNSUPPORTED (exit 6) and says what to do, before starting anything', async () => {
      const dir = join(base, 'dev-no-s3rver');
      const [h1, h2, h3, kms, s3] = await freePorts(5);
      const r = run(bin, ['dev', '--dir', dir, '--hsm-ports', `${h1},${h2},${h3}`, '--kms-port', String(kms), '--s3-port', String(s3)], { cwd: app, env: { XDG_CONFIG_HOME: join(base, 'xdg') } });
      expect(r.stderr).toContain('install s3rver or point --s3-endpoint at a real S3');
      expect(r.code).toBe(6);
      expect(existsSync(join(dir, 'hsm'))).toBe(false);
      const lib = node(app, ['-e', "import('@strongroom/cli').then((m) => m.loadS3rver()).then(() => process.stdout.write('loaded'), (e) => process.stdout.write(e.code))"]);
      expect(lib.stdout).toBe('UNSUPPORTED');
    });

    it('strongroom dev --s3-endpoint uses that S3 instead (credentials from the environment)', async () => {
      const first = JSON.parse(readFileSync(stack!.config, 'utf8')) as { s3: { endpoint: string; bucket: string } };
      const missing = run(bin, ['dev', '--dir', join(base, 'dev-x'), '--s3-endpoint', first.s3.endpoint], { cwd: app, env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' } });
      expect(missing.stderr).toContain('set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
      expect(missing.code).toBe(2);
      let second: Stack | undefined;
      try {
        second = await startDev(join(base, 'dev-external-s3'), ['--s3-endpoint', first.s3.endpoint, '--s3-bucket', first.s3.bucket], { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
        expect(second.output()).toContain(`S3            ${first.s3.endpoint}   bucket ${first.s3.bucket}`);
        expect(s3RoundTrip(second.config, first.s3.bucket, 'external', 'through a real S3')).toBe('through a real S3');
      } finally {
        await stop(second);
      }
    });
  });
});
