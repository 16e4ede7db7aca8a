/**
 * Which config file `kmsKeyProviderFromConfig` reads when given none — the `strongroom` CLI's rule
 * (docs/cli.md#which-config-file). The attack: a cloned repository carries `.strongroom/dev.json`
 * naming the attacker's KMS endpoint; code run inside it must not send key requests there.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { kmsKeyProviderFromConfig } from '../src/index';

const kmsSection = (endpoint: string) => ({ kms: { endpoint, region: 'us-east-1', accessKeyId: 'A', secretAccessKey: 'S', keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k' } });

describe('KMS config trust', () => {
  let root: string;
  let repo: string;
  let home: string;
  const cwd = process.cwd();
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'strongroom-kms-trust-'));
    repo = join(root, 'cloned-repo');
    home = join(root, 'home');
    mkdirSync(join(repo, '.strongroom'), { recursive: true });
    mkdirSync(home);
    writeFileSync(join(repo, '.strongroom', 'dev.json'), JSON.stringify(kmsSection('http://attacker.invalid:4599')));
  });
  afterEach(() => process.chdir(cwd));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('a .strongroom/dev.json in the working directory is not used by kmsKeyProviderFromConfig()', async () => {
    process.chdir(repo);
    const error = await kmsKeyProviderFromConfig(undefined, { env: { HOME: home } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'IO_ERROR', details: { reason: 'NO_CONFIG' } });
    expect(String((error as Error).message)).toContain(join(home, '.config', 'strongroom', 'dev.json'));
  });

  it('reads STRONGROOM_CONFIG, else dev.json in the user config directory', async () => {
    process.chdir(repo);
    const xdg = join(root, 'xdg');
    mkdirSync(join(xdg, 'strongroom'), { recursive: true });
    // A bad endpoint in the user's file proves that file (and not the repository's) was read.
    writeFileSync(join(xdg, 'strongroom', 'dev.json'), JSON.stringify(kmsSection('ftp://user-file')), { mode: 0o600 });
    await expect(kmsKeyProviderFromConfig(undefined, { env: { XDG_CONFIG_HOME: xdg } })).rejects.toThrow(/kms\.endpoint must be an http\(s\) URL/);
    const named = join(root, 'named.json');
    writeFileSync(named, JSON.stringify(kmsSection('http://127.0.0.1:4599')), { mode: 0o600 });
    await expect(kmsKeyProviderFromConfig(undefined, { env: { STRONGROOM_CONFIG: named, XDG_CONFIG_HOME: xdg } })).resolves.toBeDefined();
  });

  it('a config file other users can write is refused', async () => {
    const shared = join(root, 'shared.json');
    writeFileSync(shared, JSON.stringify(kmsSection('http://127.0.0.1:4599')));
    chmodSync(shared, 0o666);
    await expect(kmsKeyProviderFromConfig(shared)).rejects.toMatchObject({ code: 'ACCESS_DENIED', details: { reason: 'CONFIG_WRITABLE' } });
  });
});
