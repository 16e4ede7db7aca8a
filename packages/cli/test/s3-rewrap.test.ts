/**
 * `strongroom s3 rewrap` as a child process against a real dev stack (HSM node processes,
 * kms-local, s3rver): an object uploaded under the HSM key is re-wrapped to the KMS key with a
 * context; afterwards only the KMS key (with that context) downloads it, and the stored body is the
 * same bytes. Bad flag combinations are one-line usage errors.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../src/dev-stack';
import { EXIT } from '../src/exit';
import { errorLines, runCli } from './helpers';

let stack: DevStack;
let tmp: string;
const file = (name: string) => join(tmp, name);
const c = (...args: string[]) => ['--config', stack.configPath, ...args];
const stored = async (key: string) => Buffer.from(await (await fetch(`${stack.config.s3.endpoint}/strongroom-dev/${key}`)).arrayBuffer());

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'strongroom-cli-rewrap-'));
  stack = await startDevStack({ dir: join(tmp, 'stack') });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('strongroom s3 rewrap', () => {
  it('moves an object from the HSM key to the KMS key without rewriting its body', async () => {
    const data = randomBytes(200_000);
    writeFileSync(file('in.bin'), data);
    const up = await runCli(c('s3', 'cp', file('in.bin'), 's3://strongroom-dev/rw/a.bin', '--key', 'hsm://strongroom-dev-kek', '--format', 'v3'));
    expect(errorLines(up.stderr)).toEqual([]);
    const before = await stored('rw/a.bin');

    const r = await runCli(c('s3', 'rewrap', 's3://strongroom-dev/rw/a.bin', '--key', 'hsm://strongroom-dev-kek', '--to', 'kms://alias/strongroom-dev', '--to-context', 'tenant=acme'));
    expect(errorLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/AES\/GCM → kms\+context \(v3, wrapped key in the object metadata\)/);
    expect((await stored('rw/a.bin')).equals(before)).toBe(true);

    const down = await runCli(c('s3', 'cp', 's3://strongroom-dev/rw/a.bin', file('out.bin'), '--key', 'kms://alias/strongroom-dev', '--context', 'tenant=acme'));
    expect(errorLines(down.stderr)).toEqual([]);
    expect(readFileSync(file('out.bin')).equals(data)).toBe(true);
    const old = await runCli(c('s3', 'cp', 's3://strongroom-dev/rw/a.bin', file('old.bin'), '--key', 'hsm://strongroom-dev-kek'));
    expect(old.code).not.toBe(0);
    expect(errorLines(old.stderr)).toHaveLength(1);
    const noCtx = await runCli(c('s3', 'cp', 's3://strongroom-dev/rw/a.bin', file('noctx.bin'), '--key', 'kms://alias/strongroom-dev'));
    expect(noCtx.code).not.toBe(0);
  });

  it('refuses a context the keys cannot bind, in one line', async () => {
    const r = await runCli(c('s3', 'rewrap', 's3://strongroom-dev/rw/a.bin', '--key', 'kms://alias/strongroom-dev', '--to', 'hsm://strongroom-dev-kek', '--to-context', 'a=b'));
    expect(r.code).toBe(EXIT.USAGE);
    expect(errorLines(r.stderr)).toHaveLength(1);
    const bad = await runCli(c('s3', 'rewrap', 'not-s3', '--key', 'hsm://strongroom-dev-kek', '--to', 'hsm://strongroom-dev-kek'));
    expect(bad.code).toBe(EXIT.USAGE);
  });
});
