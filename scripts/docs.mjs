#!/usr/bin/env node
/**
 * `npm run docs`: the API reference (TypeDoc) of every published package's public entry points, into
 * docs-site/ (not committed). The entry points are read from each package's `exports` (the
 * `@strongroom/source` condition), so a new subpath export is documented without editing this file.
 * Extra arguments go to TypeDoc; CI passes `--treatWarningsAsErrors`, which with the `notDocumented`
 * validation in typedoc.json makes an undocumented export, a broken `{@link}` or an unused `@param`
 * fail the build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entryPoints = [];
const packageNames = [];
for (const dir of readdirSync(join(root, 'packages')).sort()) {
  const manifestPath = join(root, 'packages', dir, 'package.json');
  if (!existsSync(manifestPath)) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  if (manifest.private) continue;
  packageNames.push(manifest.name);
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    const source = typeof target === 'object' && target !== null ? target['@strongroom/source'] : undefined;
    if (typeof source === 'string') entryPoints.push(relative(root, join(root, 'packages', dir, source)));
    else if (subpath !== './package.json') {
      console.error(`docs: ${manifest.name} export ${subpath} has no @strongroom/source condition; cannot document it`);
      process.exit(1);
    }
  }
}
const typedoc = join(root, 'node_modules', 'typedoc', 'bin', 'typedoc');
// TypeDoc checks documentation only in the packages it is told about (by default the root
// package.json's name, which is not a published package), so name every documented package.
const required = packageNames.flatMap((name) => ['--packagesRequiringDocumentation', name]);
const result = spawnSync(process.execPath, [typedoc, '--options', join(root, 'typedoc.json'), ...required, ...process.argv.slice(2), ...entryPoints], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
