/**
 * The data directory's snapshot + change log (data-dir.ts, state-store.ts) on real files: the
 * states a crash can leave (a torn last line, a crash between the new snapshot and the emptied
 * log), compaction, corruption inside the log, ids named like Object.prototype members, and
 * 0600 files.
 */
import { appendFile, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDataDir } from '../src/data-dir';
import { dict } from '../src/dict';
import type { KeyRecord } from '../src/model';
import { openStateStore } from '../src/state-store';
import { tempDir } from './helpers';

const dirs: string[] = [];
afterEach(async () => {
  while (dirs.length) await rm(dirs.pop()!, { recursive: true, force: true });
});

function key(id: string, description = ''): KeyRecord {
  const tags = dict<string>();
  tags['__proto__'] = 'tag';
  return { KeyId: id, CreationDate: 1, Description: description, KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'SYMMETRIC_DEFAULT', KeyState: 'Enabled', MultiRegion: false, tags };
}

async function open(path: string, compactAfterBytes?: number) {
  const dir = await openDataDir(path, compactAfterBytes === undefined ? {} : { compactAfterBytes });
  const store = await openStateStore(dir, () => {});
  return { dir, store };
}

async function fresh(compactAfterBytes?: number) {
  const path = await tempDir();
  dirs.push(path);
  return { path, ...(await open(path, compactAfterBytes)) };
}

describe('state log', () => {
  it('replays committed changes, including ids and tags named __proto__, after a reopen', async () => {
    const { path, dir, store } = await fresh();
    store.state.keys['__proto__'] = key('__proto__', 'odd id');
    store.state.keys['k1'] = key('k1');
    await store.commit();
    delete store.state.keys['k1'];
    store.state.aliases['alias/a'] = { TargetKeyId: '__proto__', CreationDate: 1, LastUpdatedDate: 1 };
    await store.commit();
    await dir.close();
    const again = await open(path);
    expect(Object.keys(again.store.state.keys)).toEqual(['__proto__']);
    expect(again.store.state.keys['__proto__']!.Description).toBe('odd id');
    expect(Object.getPrototypeOf(again.store.state.keys)).toBeNull();
    expect(again.store.state.keys['__proto__']!.tags['__proto__']).toBe('tag');
    expect(again.store.state.aliases['alias/a']!.TargetKeyId).toBe('__proto__');
    expect(({} as Record<string, unknown>).Description).toBeUndefined();
    expect((await stat(join(path, 'state.log'))).mode & 0o777).toBe(0o600);
    await again.dir.close();
  });

  it('drops a torn last line (a crash mid-append) and appends after the valid prefix', async () => {
    const { path, dir, store } = await fresh();
    store.state.keys['k1'] = key('k1');
    await store.commit();
    await dir.close();
    await appendFile(join(path, 'state.log'), '0123456789abcdef {"keys":{"k2":{"KeyId":"k2","Creat');
    const again = await open(path);
    expect(Object.keys(again.store.state.keys)).toEqual(['k1']);
    again.store.state.keys['k3'] = key('k3');
    await again.store.commit();
    await again.dir.close();
    const third = await open(path);
    expect(Object.keys(third.store.state.keys).sort()).toEqual(['k1', 'k3']);
    await third.dir.close();
  });

  it('refuses to start on a corrupt line inside the log (acknowledged changes follow it)', async () => {
    const { path, dir, store } = await fresh();
    for (const id of ['k1', 'k2']) {
      store.state.keys[id] = key(id);
      await store.commit();
    }
    await dir.close();
    const text = await readFile(join(path, 'state.log'), 'utf8');
    await writeFile(join(path, 'state.log'), text.replace('"k1"', '"kX"'));
    await expect(openStateStore(await openDataDir(path), () => {})).rejects.toThrow(/corrupt record/);
  });

  it('compacts into a snapshot once the log outgrows it; a crash between snapshot and emptied log is harmless', async () => {
    const { path, dir, store } = await fresh(2048);
    for (let i = 0; i < 40; i++) {
      store.state.keys[`k${i}`] = key(`k${i}`, 'x'.repeat(100));
      await store.commit();
    }
    const logSize = (await stat(join(path, 'state.log'))).size;
    const snapSize = (await stat(join(path, 'state.json'))).size;
    expect(logSize).toBeLessThan(Math.max(2048, snapSize) + 1024);
    expect((await stat(join(path, 'state.json'))).mode & 0o777).toBe(0o600);
    store.state.keys['k0']!.Description = 'changed';
    delete store.state.keys['k1'];
    await store.commit();
    await dir.close();
    // The crash: the new snapshot (the whole current state) was renamed in, the log not yet emptied.
    const { formatVersion, keys, aliases, customKeyStores } = store.state;
    await writeFile(join(path, 'state.json'), JSON.stringify({ formatVersion, keys, aliases, customKeyStores }));
    expect((await stat(join(path, 'state.log'))).size).toBeGreaterThan(0);
    const again = await open(path);
    expect(Object.keys(again.store.state.keys)).toHaveLength(39);
    expect(again.store.state.keys['k0']!.Description).toBe('changed');
    expect(again.store.state.keys['k1']).toBeUndefined();
    await again.dir.close();
  });

  it('reads a data directory written before the log existed (state.json only)', async () => {
    const path = await tempDir();
    dirs.push(path);
    await writeFile(join(path, 'state.json'), JSON.stringify({ formatVersion: 1, keys: { old: key('old') }, aliases: {} }), { mode: 0o600 });
    const { dir, store } = await open(path);
    expect(Object.keys(store.state.keys)).toEqual(['old']);
    expect(Object.keys(store.state.customKeyStores)).toEqual([]);
    await dir.close();
  });
});
