/**
 * The private-file writer on the real file system: exclusive creation (an existing file or symlink
 * at the name is an error, never followed), mode 0600, nothing visible before commit, nothing left
 * after discard, and the sweep removes only stale partials of dead processes owned by this user.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openExclusive, openPrivateOutput, partialName, sweepStalePartials, writePrivateFile } from './private-file';

const tmp = mkdtempSync(join(tmpdir(), 'strongroom-private-file-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('openExclusive', () => {
  it('refuses an existing file and does not follow a symlink', () => {
    const file = join(tmp, 'exists');
    writeFileSync(file, 'x');
    expect(() => openExclusive(file)).toThrow(/EEXIST/);
    const link = join(tmp, 'link');
    symlinkSync(join(tmp, 'loot'), link);
    expect(() => openExclusive(link)).toThrow(/EEXIST/);
    expect(existsSync(join(tmp, 'loot'))).toBe(false);
  });

  it('partial names are unpredictable and hidden', () => {
    const a = partialName(join(tmp, 'out.bin'));
    const b = partialName(join(tmp, 'out.bin'));
    expect(a).not.toBe(b);
    expect(a).toMatch(new RegExp(`/\\.out\\.bin\\.strongroom-partial-${process.pid}-[0-9a-f]{16}$`));
  });
});

describe.each([['default'], ['named']] as const)('openPrivateOutput (%s)', (mode) => {
  const withMode = <T>(fn: () => T): T => {
    const before = process.env.STRONGROOM_NO_O_TMPFILE;
    if (mode === 'named') process.env.STRONGROOM_NO_O_TMPFILE = '1';
    try {
      return fn();
    } finally {
      if (before === undefined) delete process.env.STRONGROOM_NO_O_TMPFILE;
      else process.env.STRONGROOM_NO_O_TMPFILE = before;
    }
  };

  it('is invisible under the target until commit, then 0600 and complete', async () => {
    const dir = mkdtempSync(join(tmp, `commit-${mode}-`));
    const target = join(dir, 'plain.txt');
    writeFileSync(target, 'old contents');
    const out = withMode(() => openPrivateOutput(target));
    if (mode === 'named') expect(out.mode).toBe('named');
    else if (process.platform === 'linux') expect(out.mode).toBe('unnamed');
    await new Promise<void>((r) => out.stream.write('new secret contents', () => r()));
    expect(readFileSync(target, 'utf8')).toBe('old contents');
    if (out.mode === 'unnamed') expect(readdirSync(dir)).toEqual(['plain.txt']);
    await new Promise<void>((r) => out.stream.end(() => r()));
    await out.commit();
    expect(readFileSync(target, 'utf8')).toBe('new secret contents');
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['plain.txt']);
  });

  it('discard leaves nothing behind', async () => {
    const dir = mkdtempSync(join(tmp, `discard-${mode}-`));
    const out = withMode(() => openPrivateOutput(join(dir, 'never.txt')));
    await new Promise<void>((r) => out.stream.write('partial', () => r()));
    await out.discard();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writePrivateFile replaces a symlink at the target instead of writing through it', async () => {
    const dir = mkdtempSync(join(tmp, `whole-${mode}-`));
    const loot = join(dir, 'loot');
    symlinkSync(loot, join(dir, 'dev.json'));
    await withMode(() => writePrivateFile(join(dir, 'dev.json'), '{"secret":1}'));
    expect(existsSync(loot)).toBe(false);
    expect(lstatSync(join(dir, 'dev.json')).isFile()).toBe(true);
    expect(statSync(join(dir, 'dev.json')).mode & 0o777).toBe(0o600);
  });
});

describe('sweepStalePartials', () => {
  it('removes stale partials of dead processes (both name patterns), keeps live ones, symlinks and other files', () => {
    const dir = mkdtempSync(join(tmp, 'sweep-'));
    const dead = deadPid();
    const staleNew = `.a.bin.strongroom-partial-${dead}-0123456789abcdef`;
    const staleOld = `b.bin.strongroom-partial-${dead}`;
    const live = `.c.bin.strongroom-partial-${process.pid}-0123456789abcdef`;
    const other = 'd.bin';
    for (const n of [staleNew, staleOld, live, other]) writeFileSync(join(dir, n), 'plaintext');
    const linkName = `.e.bin.strongroom-partial-${dead}-fedcba9876543210`;
    symlinkSync(join(dir, other), join(dir, linkName));
    expect(sweepStalePartials(dir).sort()).toEqual([staleNew, staleOld].sort());
    expect(readdirSync(dir).sort()).toEqual([live, linkName, other].sort());
  });
});
