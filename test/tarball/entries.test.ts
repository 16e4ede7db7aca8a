/**
 * Every entry point of every installed package loads as a user loads it: `import()` (ESM) and
 * `require()` (CommonJS, where the package exports it), printing nothing — Node's package `exports`
 * resolution (https://nodejs.org/api/packages.html#conditional-exports), from the tarballs, outside
 * the workspace. And @strongroom/core alone (no peers, no dependencies) is a complete install whose main
 * entry never needs @noble.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { node, publishedPackages } from './consumer';

const { app, coreOnly } = inject('tarball');

type Exports = Record<string, { import?: unknown; require?: unknown } | string>;

/** The entry points of an installed package: `[specifier, has a require condition]`. */
function entryPoints(dir: string, name: string): [string, boolean][] {
  const manifest = JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { exports: Exports };
  return Object.entries(manifest.exports)
    .filter(([subpath]) => subpath !== './package.json')
    .map(([subpath, target]) => [name + subpath.slice(1), typeof target === 'object' && target.require !== undefined]);
}

// Loads each entry (require first, then import) and prints the export counts as JSON on stdout.
const LOADER = `
const entries = JSON.parse(process.argv[2]);
(async () => {
  const counts = {};
  for (const [specifier, cjs] of entries) {
    const required = cjs ? require(specifier) : undefined;
    const imported = await import(specifier);
    counts[specifier] = { esm: Object.keys(imported).length, cjs: cjs ? Object.keys(required).length : null };
  }
  process.stdout.write(JSON.stringify(counts));
  setTimeout(() => process.exit(0), 50).unref();
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`;

describe('installed tarballs', () => {
  writeFileSync(join(app, 'load-entries.cjs'), LOADER);
  writeFileSync(join(coreOnly, 'load-entries.cjs'), LOADER);

  for (const { name } of publishedPackages()) {
    it(`${name}: every entry point loads with import() and require(), quietly`, () => {
      const entries = entryPoints(app, name);
      expect(entries.length).toBeGreaterThan(0);
      const r = node(app, ['load-entries.cjs', JSON.stringify(entries)]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const counts = JSON.parse(r.stdout) as Record<string, { esm: number; cjs: number | null }>; // anything else printed breaks the JSON
      for (const [specifier, cjs] of entries) {
        expect(counts[specifier]!.esm, specifier).toBeGreaterThan(0);
        if (cjs) expect(counts[specifier]!.cjs, specifier).toBe(counts[specifier]!.esm);
      }
    });
  }

  it('@strongroom/core installs alone: no dependencies, main entry (ESM and CJS) without @noble; /noble says what is missing', () => {
    expect(readdirSync(join(coreOnly, 'node_modules')).filter((d) => !d.startsWith('.'))).toEqual(['@strongroom']);
    expect(readdirSync(join(coreOnly, 'node_modules', '@strongroom'))).toEqual(['core']);
    const main = node(coreOnly, ['load-entries.cjs', JSON.stringify([['@strongroom/core', true]])]);
    expect(main.stderr).toBe('');
    expect(JSON.parse(main.stdout)['@strongroom/core'].esm).toBeGreaterThan(10);
    const noble = node(coreOnly, ['load-entries.cjs', JSON.stringify([['@strongroom/core/noble', false]])]);
    expect(noble.code).toBe(1);
    expect(noble.stderr).toMatch(/Cannot find package '@noble\//);
  });

  it("@strongroom/core's worker pool runs from the installed package (ESM and CJS), its threads never holding the process open", () => {
    // The pool's worker code ships inside the bundle (an eval worker): nothing to locate on disk.
    const body = `async ({ createClient, createWorkerPool, RawAesKeyProvider }) => {
      const key = new Uint8Array(32).fill(9);
      const keyProvider = RawAesKeyProvider({ namespace: 'p', name: 'k', key });
      const data = new Uint8Array(3 * 1024 * 1024).fill(5);
      const pooled = createClient({ keyProvider, parallelism: 2 });
      const signed = createClient({ keyProvider, pool: createWorkerPool({ size: 1 }), suite: 0x0578 });
      const { ciphertext } = await pooled.encrypt(data);
      const { plaintext } = await createClient({ keyProvider }).decrypt(ciphertext);
      const s = await signed.encrypt('signed');
      const opened = await pooled.decrypt(s.ciphertext);
      process.stdout.write(plaintext.length + ':' + new TextDecoder().decode(opened.plaintext) + ';');
    }`;
    for (const script of [`import('@strongroom/core').then(${body})`, `(${body})(require('@strongroom/core'))`]) {
      const r = node(coreOnly, ['-e', script]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${3 * 1024 * 1024}:signed;`);
    }
  });

  it('@strongroom/core/noble works once its optional peers are installed', () => {
    const script = `import('@strongroom/core').then(async ({ createClient, RawAesKeyProvider }) => {
      const { nobleBackend } = await import('@strongroom/core/noble');
      const key = new Uint8Array(32).fill(7);
      const client = createClient({ keyProvider: RawAesKeyProvider({ namespace: 'n', name: 'k', key, backend: nobleBackend }), backend: nobleBackend });
      const { ciphertext } = await client.encrypt('noble');
      const { plaintext } = await client.decrypt(ciphertext);
      process.stdout.write(nobleBackend.name + ':' + new TextDecoder().decode(plaintext));
    });`;
    const r = node(app, ['-e', script]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('noble:noble');
  });
});
