/**
 * The built packages load as published: `import` (and `require`, where the package exports a CJS
 * build) of every package's dist entry, in a child process without the source condition, printing
 * nothing (a library entry must never run a CLI: see tsdown.shared.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const packages = readdirSync(join(root, 'packages')).filter((d) => existsSync(join(root, 'packages', d, 'package.json')));

describe('built entries', () => {
  for (const dir of packages) {
    const manifest = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
    const hasCjs = Boolean(manifest.exports?.['.']?.require);
    it(`${manifest.name}: ${hasCjs ? 'require() and ' : ''}import() load quietly`, () => {
      const script = `
        const cjs = ${hasCjs ? `require(${JSON.stringify(manifest.name)})` : 'null'};
        import(${JSON.stringify(manifest.name)}).then((esm) => {
          if (typeof esm !== 'object' || (${hasCjs} && typeof cjs !== 'object')) process.exit(3);
          process.stderr.write('loaded ' + Object.keys(esm).length + ' exports');
        });`;
      const out = execFileSync(process.execPath, ['-e', script], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(out).toBe(''); // nothing printed on stdout at load
    });
  }
  it('@strongroom/core exports the documented API from both builds', () => {
    const names = ['createClient', 'createDataKeyCache', 'RawAesKeyProvider', 'RawRsaKeyProvider', 'StrongroomError', 'CommitmentPolicy', 'nodeBackend'];
    const script = `const c = require('@strongroom/core'); import('@strongroom/core').then((e) => process.stdout.write(JSON.stringify(${JSON.stringify(names)}.map((n) => [typeof c[n], typeof e[n]]))));`;
    const types = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' })) as string[][];
    for (const [cjs, esm] of types) {
      expect(cjs).not.toBe('undefined');
      expect(esm).toBe(cjs);
    }
  });
  it('@strongroom/core/noble exports nobleBackend from both builds; the main entry does not', () => {
    const script = `const c = require('@strongroom/core/noble'); import('@strongroom/core/noble').then(async (e) => {
      const main = await import('@strongroom/core');
      process.stdout.write(JSON.stringify([typeof c.nobleBackend, typeof e.nobleBackend, e.nobleBackend.name, typeof main.nobleBackend]));
    });`;
    expect(JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' }))).toEqual(['object', 'object', 'noble', 'undefined']);
  });
  it("@strongroom/core's main entry never loads @noble (every file it imports, ESM and CJS); ./noble does", () => {
    const dist = join(root, 'packages', 'core', 'dist');
    /** Whether `entry` or any file of dist/ it imports names a @noble package. */
    const loadsNoble = (entry: string, seen = new Set<string>()): boolean => {
      if (seen.has(entry)) return false;
      seen.add(entry);
      const text = readFileSync(join(dist, entry), 'utf8');
      if (/["']@noble\//.test(text)) return true;
      return [...text.matchAll(/(?:from\s*|import\s*\(\s*|require\(\s*)["']\.\/([^"']+)["']/g)].some((m) => loadsNoble(m[1]!, seen));
    };
    expect(['index.mjs', 'index.cjs'].map((e) => loadsNoble(e))).toEqual([false, false]);
    expect(['noble.mjs', 'noble.cjs'].map((e) => loadsNoble(e))).toEqual([true, true]);
  });
  it('StrongroomError.isInstance recognises errors from the other build (ESM vs CJS copies)', () => {
    const script = `const c = require('@strongroom/core'); import('@strongroom/core').then((e) => {
      const fromCjs = new c.StrongroomError('MALFORMED', 'x');
      const fromEsm = new e.StrongroomError('ABORTED', 'y');
      process.stdout.write(JSON.stringify([c.StrongroomError === e.StrongroomError, e.StrongroomError.isInstance(fromCjs, 'MALFORMED'),
        c.StrongroomError.isInstance(fromEsm), fromEsm.name, e.StrongroomError.isInstance(new Error('z'))]));
    });`;
    const [same, a, b, name, plain] = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' }));
    expect(same).toBe(false); // two real copies
    expect([a, b, name, plain]).toEqual([true, true, 'AbortError', false]);
  });
});
