#!/usr/bin/env node
/**
 * Dependency direction check (docs/architecture.md#dependency-direction).
 *
 *   node scripts/check-deps.mjs [root]        (root defaults to the repository)
 *
 * For every package in `packages/*`, over its published code (`src/`, test files excluded):
 * - each `@strongroom/*` package it imports is one the table below allows (so `provider-hsm` can never
 *   import its emulator `hsm-local`, and `core` imports nothing of ours);
 * - each of those is declared in its `dependencies`, `optionalDependencies` or `peerDependencies`;
 * - its `package.json` declares no runtime `@strongroom/*` dependency the table forbids;
 * - it reaches into no other package's internals (`@strongroom/x/src/…`, `@strongroom/x/dist/…`, or a
 *   relative path that leaves the package).
 * Tests may use anything through `devDependencies`.
 *
 * Prints one line per violation and exits 1 if there is any.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Package directory → the package directories its `src/` may import. */
export const ALLOWED = new Map([
  ['core', []],
  ['node-files', ['core']],
  ['hsm-protocol', ['core']],
  ['provider-kms', ['core', 'node-files']],
  ['provider-hsm', ['core', 'hsm-protocol', 'node-files']],
  ['provider-custom-key-store', ['core', 'provider-kms']],
  ['hsm-local', ['core', 'hsm-protocol', 'node-files']],
  ['kms-local', ['core', 'hsm-protocol', 'provider-hsm', 'node-files']],
  ['s3', ['core']],
  // cli → testing: only `strongroom dev --s3 rgw` loads the Ceph RGW starter, by dynamic import; the
  // build bundles it into the CLI (testing is a private devDependency, never installed by users).
  ['cli', ['core', 'node-files', 'hsm-protocol', 'provider-kms', 'provider-hsm', 'provider-custom-key-store', 'hsm-local', 'kms-local', 's3', 'testing']],
  ['testing', ['core', 'hsm-protocol', 'hsm-local', 'kms-local']],
]);

/** devDependencies a package's build bundles into its dist (so users never install them). */
const BUNDLED = new Map([['cli', ['@strongroom/testing']]]);

const SOURCE = /\.(?:ts|mts|cts|js|mjs|cjs)$/;
const TEST = /\.test\.[cm]?[jt]s$/;
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)(['"])([^'"]+)\1/gm;

function sourceFiles(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') sourceFiles(full, out);
    } else if (SOURCE.test(entry.name) && !TEST.test(entry.name)) out.push(full);
  }
  return out;
}

export function checkDependencies(root) {
  root = resolve(root);
  const problems = [];
  const packagesDir = join(root, 'packages');
  const dirs = readdirSync(packagesDir).filter((d) => existsSync(join(packagesDir, d, 'package.json')));
  const byName = new Map(dirs.map((d) => [JSON.parse(readFileSync(join(packagesDir, d, 'package.json'), 'utf8')).name, d]));
  for (const dir of dirs) {
    const pkgDir = join(packagesDir, dir);
    const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
    const allowed = ALLOWED.get(dir);
    if (!allowed) {
      problems.push(`packages/${dir}: not in the dependency table of scripts/check-deps.mjs (add it, and to docs/architecture.md)`);
      continue;
    }
    const declared = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
      ...(BUNDLED.get(dir) ?? []),
    ]);
    for (const name of declared) {
      const target = byName.get(name);
      if (target !== undefined && !allowed.includes(target)) {
        problems.push(`packages/${dir}/package.json: depends on ${name}, which ${manifest.name} must not use (docs/architecture.md#dependency-direction)`);
      }
    }
    for (const file of sourceFiles(join(pkgDir, 'src'))) {
      const rel = relative(root, file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(SPECIFIER)) {
        const spec = m[2];
        const line = text.slice(0, m.index).split('\n').length;
        const where = `${rel}:${line}`;
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec);
          if (!(target + sep).startsWith(pkgDir + sep)) problems.push(`${where}: relative import ${spec} leaves ${manifest.name}; import the other package by name`);
          continue;
        }
        const sm = /^(@strongroom\/[^/]+)(\/.*)?$/.exec(spec);
        if (!sm) continue;
        const [, name, subpath = ''] = sm;
        const target = byName.get(name);
        if (target === dir) continue;
        if (/^\/(?:src|dist)(?:\/|$)/.test(subpath)) problems.push(`${where}: ${spec} reaches into ${name}'s internals; use its exports`);
        if (target === undefined) {
          problems.push(`${where}: imports ${name}, which is not a package of this repository`);
        } else if (!allowed.includes(target)) {
          problems.push(`${where}: ${manifest.name} imports ${name}, which it must not (docs/architecture.md#dependency-direction)`);
        } else if (!declared.has(name)) {
          problems.push(`${where}: imports ${name} without declaring it in ${manifest.name}'s dependencies`);
        }
      }
    }
  }
  return { problems, packages: dirs.length };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..');
  const { problems, packages } = checkDependencies(root);
  for (const p of problems) console.log(p);
  console.log(`check-deps: ${packages} packages, ${problems.length} problem(s)`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}
