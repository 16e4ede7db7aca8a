/**
 * Every published package has a CHANGELOG.md in the layout docs/compatibility.md#releasing describes:
 * a title, then `## Unreleased` or `## <its package.json version>` as the first section, and every
 * later section a released version with a date. A package that is not private and has no changelog,
 * or whose top section names another version (a version bump without a changelog entry), fails.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const packages = readdirSync(join(root, 'packages'))
  .filter((d) => existsSync(join(root, 'packages', d, 'package.json')))
  .map((d) => ({ dir: d, manifest: JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8')) as { name: string; version: string; private?: boolean } }))
  .filter((p) => p.manifest.private !== true);

describe('changelogs', () => {
  it('there are published packages to check', () => {
    expect(packages.length).toBeGreaterThan(5);
  });
  for (const { dir, manifest } of packages) {
    it(`${manifest.name}: CHANGELOG.md starts with Unreleased or ${manifest.version}; later sections are dated versions`, () => {
      const file = join(root, 'packages', dir, 'CHANGELOG.md');
      expect(existsSync(file), `packages/${dir}/CHANGELOG.md is missing`).toBe(true);
      const text = readFileSync(file, 'utf8');
      expect(text.startsWith(`# Changelog — ${manifest.name}\n`)).toBe(true);
      const sections = [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1]!);
      expect(sections.length).toBeGreaterThan(0);
      const [first, ...rest] = sections;
      expect(first === 'Unreleased' || first!.startsWith(`${manifest.version} — `)).toBe(true);
      for (const s of rest) expect(s).toMatch(/^\d+\.\d+\.\d+(?:-[\w.]+)? — \d{4}-\d{2}-\d{2}$/);
      if (first === 'Unreleased') expect(rest.every((s) => !s.startsWith('Unreleased'))).toBe(true);
    });
  }
});
