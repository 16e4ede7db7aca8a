/**
 * Which config file a library call reads when given none, and which it refuses: the rule the CLI and
 * both providers share. The attack: a cloned repository (the working directory) or another local user
 * supplies the config that names the endpoints receiving key requests.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConfigWriters, CONFIG_ENV, locateConfig, userConfigDir } from '../src/index';

const root = mkdtempSync(join(tmpdir(), 'strongroom-config-location-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('config location', () => {
  it('env STRONGROOM_CONFIG, else dev.json in $XDG_CONFIG_HOME/strongroom (absolute only), else ~/.config/strongroom; never the working directory', () => {
    expect(locateConfig({ [CONFIG_ENV]: 'rel/dev.json', HOME: '/home/u' })).toEqual({ path: resolve('rel/dev.json'), source: 'env' });
    expect(locateConfig({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/u' })).toEqual({ path: '/xdg/strongroom/dev.json', source: 'user' });
    expect(userConfigDir({ XDG_CONFIG_HOME: 'relative', HOME: '/home/u' })).toBe('/home/u/.config/strongroom');
    expect(locateConfig({ HOME: '/home/u' }).path).not.toContain(process.cwd());
  });

  it('refuses a config other users could have written: mode, owner, directory without the sticky bit', () => {
    const dir = join(root, 'private');
    mkdirSync(dir, { mode: 0o700 });
    const file = join(dir, 'dev.json');
    writeFileSync(file, '{}', { mode: 0o600 });
    expect(() => checkConfigWriters(file, 'config')).not.toThrow();
    chmodSync(file, 0o666);
    expect(() => checkConfigWriters(file, 'config')).toThrow(expect.objectContaining({ code: 'ACCESS_DENIED', details: { reason: 'CONFIG_WRITABLE' } }));
    chmodSync(file, 0o600);
    if (process.getuid?.() === 0) {
      chownSync(file, 4242, 4242);
      expect(() => checkConfigWriters(file, 'config')).toThrow(/owned by another user \(uid 4242\)/);
      chownSync(file, 0, 0);
    }
    const open = join(root, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    writeFileSync(join(open, 'dev.json'), '{}', { mode: 0o600 });
    expect(() => checkConfigWriters(join(open, 'dev.json'), 'config')).toThrow(/in a directory writable by other users/);
    chmodSync(open, 0o1777); // sticky, as /tmp: others cannot replace the file
    expect(() => checkConfigWriters(join(open, 'dev.json'), 'config')).not.toThrow();
    expect(() => checkConfigWriters(join(root, 'missing.json'), 'config')).toThrow(expect.objectContaining({ code: 'IO_ERROR', details: { reason: 'NO_CONFIG' } }));
  });
});
