/**
 * `strongroom-kms --seed FILE` as a child process (built dist/cli.mjs; root `npm test` builds first):
 * the seeded keys answer in the seed's account and Region; a refused seed exits 2 with the reason.
 */
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CREDENTIALS, tempDir } from './helpers';

const cli = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url));
const env = { KMS_LOCAL_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, KMS_LOCAL_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey };
const KEY = 'b3537ef1-d8dc-4780-9f5a-55776cbb2f7f';
const SEED = `version: 1\naccount: "658956600833"\nregion: us-west-2\nkeys:\n  - id: ${KEY}\n    aliases: [alias/EncryptDecrypt]\n`;
let child: ChildProcess | undefined;
let dir: string | undefined;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

function run(args: string[]): { listening: Promise<{ endpoint: string; out: string }>; exited: Promise<{ code: number | null; out: string; err: string }> } {
  child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; out: string; err: string }>((resolve) => child!.once('exit', (code) => resolve({ code, out, err })));
  const listening = new Promise<{ endpoint: string; out: string }>((resolve, reject) => {
    child!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve({ endpoint: m[1]!, out });
    });
    void exited.then((r) => reject(new Error(`strongroom-kms exited with ${r.code}: ${r.err}`)));
  });
  listening.catch(() => {});
  return { listening, exited };
}

describe.runIf(existsSync(cli) || process.env.STRONGROOM_REQUIRE_ALL_SUITES === '1')('strongroom-kms --seed', () => {
  it('serves the seeded key in the seed account and Region', async () => {
    dir = await tempDir();
    const file = join(dir, 'seed.yaml');
    await writeFile(file, SEED, { mode: 0o600 });
    const { endpoint, out } = await run(['--data-dir', join(dir, 'data'), '--port', '0', '--seed', file]).listening;
    expect(out).toContain('created 1 key(s) and 1 alias(es)');
    expect(out).toContain('account 658956600833, region us-west-2');
    const kms = new KMSClient({ endpoint, region: 'us-west-2', credentials: CREDENTIALS, maxAttempts: 1 });
    try {
      const d = await kms.send(new DescribeKeyCommand({ KeyId: 'arn:aws:kms:us-west-2:658956600833:alias/EncryptDecrypt' }));
      expect(d.KeyMetadata!.Arn).toBe(`arn:aws:kms:us-west-2:658956600833:key/${KEY}`);
    } finally {
      kms.destroy();
    }
  });

  it('a refused seed, or a --region that disagrees with it, exits 2 with the reason', async () => {
    dir = await tempDir();
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, `${SEED}    materail: x\n`, { mode: 0o600 });
    const r1 = await run(['--data-dir', join(dir, 'data'), '--port', '0', '--seed', bad]).exited;
    expect(r1.code).toBe(2);
    expect(r1.err).toContain(`kms-local seed ${bad}: keys[0].materail: unknown field`);
    const good = join(dir, 'good.yaml');
    await writeFile(good, SEED, { mode: 0o600 });
    const r2 = await run(['--data-dir', join(dir, 'data'), '--port', '0', '--seed', good, '--region', 'us-east-1']).exited;
    expect(r2.code).toBe(2);
    expect(r2.err).toContain("region us-east-1 differs from the seed's us-west-2");
  });
});
