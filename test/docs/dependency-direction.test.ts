/**
 * The dependency direction of docs/architecture.md#dependency-direction holds (scripts/check-deps.mjs):
 * no package's published code imports a package it must not — e.g. provider-hsm its emulator
 * hsm-local — or another package's internals, and every import is declared. A fixture with those
 * violations must fail, so the check is known to bite.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function checkDeps(dir?: string) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'check-deps.mjs'), ...(dir ? [dir] : [])], { encoding: 'utf8' });
  return { status: r.status, lines: r.stdout.trim().split('\n') };
}

describe('scripts/check-deps.mjs', () => {
  it('the repository follows the dependency direction', () => {
    const { status, lines } = checkDeps();
    expect(lines).toEqual([expect.stringMatching(/^check-deps: \d+ packages, 0 problem\(s\)$/)]);
    expect(status).toBe(0);
  });

  it('fails on provider-hsm importing hsm-local, on internals, on a relative path into a sibling and on a forbidden manifest dependency', () => {
    const { status, lines } = checkDeps(join(import.meta.dirname, 'fixtures', 'deps-bad'));
    expect(status).toBe(1);
    expect(lines).toEqual([
      'packages/hsm-local/package.json: depends on @strongroom/provider-hsm, which @strongroom/hsm-local must not use (docs/architecture.md#dependency-direction)',
      'packages/provider-hsm/src/index.ts:3: @strongroom/provider-hsm imports @strongroom/hsm-local, which it must not (docs/architecture.md#dependency-direction)',
      "packages/provider-hsm/src/index.ts:4: @strongroom/core/src/index reaches into @strongroom/core's internals; use its exports",
      'packages/provider-hsm/src/index.ts:6: relative import ../../core/src/index leaves @strongroom/provider-hsm; import the other package by name',
      'check-deps: 3 packages, 4 problem(s)',
    ]);
  });
});
