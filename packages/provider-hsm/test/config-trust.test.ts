/**
 * Which config file the library reads, and where its relative paths point — the rule of the
 * `strongroom` CLI (docs/cli.md#which-config-file, docs/hsm-provider.md "Configuration file"). The
 * attack: a cloned repository carries `.strongroom/dev.json` (and a `pkcs11.library` next to it);
 * whoever runs code in it must not have the attacker's HSM endpoint or shared library chosen for them.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hsmKeyProviderFromConfig, loadHsmConfig } from '../src/index';

const EVIL = { version: 1, keyLabel: 'attacker-kek', pkcs11: { library: './evil/libpkcs11.so', pin: '1' } };

describe('HSM config trust', () => {
  let root: string;
  let repo: string;
  let home: string;
  const cwd = process.cwd();
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'strongroom-hsm-trust-'));
    repo = join(root, 'cloned-repo');
    home = join(root, 'home');
    mkdirSync(join(repo, '.strongroom'), { recursive: true });
    mkdirSync(home);
    writeFileSync(join(repo, '.strongroom', 'dev.json'), JSON.stringify(EVIL));
  });
  afterEach(() => process.chdir(cwd));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('a .strongroom/dev.json in the working directory is not used by hsmKeyProviderFromConfig()', async () => {
    process.chdir(repo);
    const env = { HOME: home };
    const error = await hsmKeyProviderFromConfig(undefined, { env, backend: 'pkcs11' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'IO_ERROR', details: { reason: 'NO_CONFIG' } });
    expect(String((error as Error).message)).toContain(join(home, '.config', 'strongroom', 'dev.json'));
    expect(String((error as Error).message)).not.toContain('evil');
  });

  it('the default is STRONGROOM_CONFIG, else the user config dir; relative paths resolve from that file', async () => {
    process.chdir(repo);
    const xdg = join(root, 'xdg');
    mkdirSync(join(xdg, 'strongroom'), { recursive: true });
    writeFileSync(join(xdg, 'strongroom', 'dev.json'), JSON.stringify({ keyLabel: 'mine', pkcs11: { library: 'lib/libsofthsm2.so', pin: '1' } }), { mode: 0o600 });
    const fromUser = await loadHsmConfig(undefined, { env: { XDG_CONFIG_HOME: xdg, HOME: home } });
    expect(fromUser.pkcs11!.library).toBe(join(xdg, 'strongroom', 'lib', 'libsofthsm2.so'));
    const named = join(root, 'named.json');
    writeFileSync(named, JSON.stringify({ keyLabel: 'named', pkcs11: { library: 'x/lib.so', pin: '1' } }), { mode: 0o600 });
    const fromEnv = await loadHsmConfig(undefined, { env: { STRONGROOM_CONFIG: named, XDG_CONFIG_HOME: xdg } });
    expect(fromEnv).toMatchObject({ keyLabel: 'named', pkcs11: { library: join(root, 'x', 'lib.so') } });
  });

  it('an object config with a relative library path needs an explicit baseDir (never the working directory)', async () => {
    process.chdir(repo);
    const object = JSON.parse(readFileSync(join(repo, '.strongroom', 'dev.json'), 'utf8')) as typeof EVIL;
    const refused = await loadHsmConfig(object).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'INVALID_ARGUMENT', details: { reason: 'RELATIVE_PATH_WITHOUT_BASE_DIR' } });
    await expect(hsmKeyProviderFromConfig(object, { backend: 'pkcs11' })).rejects.toMatchObject({ details: { reason: 'RELATIVE_PATH_WITHOUT_BASE_DIR' } });
    const based = await loadHsmConfig(object, { baseDir: home });
    expect(based.pkcs11!.library).toBe(join(home, 'evil', 'libpkcs11.so'));
    await expect(loadHsmConfig(object, { baseDir: 'relative' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(loadHsmConfig({ pkcs11: { library: 'libsofthsm2.so', pin: '1' } })).resolves.toMatchObject({ pkcs11: { library: 'libsofthsm2.so' } });
    await expect(
      loadHsmConfig({ hsm: { nodes: [{ url: 'tls://127.0.0.1:1' }], trustAnchorPath: 'ca.pem', clientCertPem: 'x', clientKeyPem: 'x', user: 'u', password: 'p' } }),
    ).rejects.toMatchObject({ details: { reason: 'RELATIVE_PATH_WITHOUT_BASE_DIR' } });
  });

  it('a config file other users can write is refused', async () => {
    const shared = join(root, 'shared.json');
    writeFileSync(shared, JSON.stringify({ keyLabel: 'k', pkcs11: { library: '/x.so', pin: '1' } }), { mode: 0o666 });
    const { chmodSync } = await import('node:fs');
    chmodSync(shared, 0o666);
    await expect(loadHsmConfig(shared)).rejects.toMatchObject({ code: 'ACCESS_DENIED', details: { reason: 'CONFIG_WRITABLE' } });
  });
});
