/**
 * The documentation check (scripts/check-docs.mjs) passes on the repository, and fails — naming each
 * problem — on a fixture with one broken reference of every kind it checks: a link to a missing file,
 * a missing anchor in another file and in the same file, a missing cited path, a missing anchor on a
 * cited path, a link out of the repository, a broken reference definition, and a stale docs anchor
 * in a source comment. A clean fixture exercises GitHub's slug rules (numbered, code-span and
 * repeated headings, explicit anchors) so the check cannot pass by accepting nothing or everything.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const fixtures = join(import.meta.dirname, 'fixtures');

function checkDocs(dir?: string) {
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'check-docs.mjs'), ...(dir ? [dir] : [])], { encoding: 'utf8' });
  return { status: r.status, lines: r.stdout.trim().split('\n') };
}

describe('scripts/check-docs.mjs', () => {
  it('the repository: every relative link, anchor and cited path resolves', () => {
    const { status, lines } = checkDocs();
    expect(lines.filter((l) => !l.startsWith('check-docs:'))).toEqual([]);
    expect(status).toBe(0);
    expect(lines.at(-1)).toMatch(/^check-docs: \d+ Markdown files, [1-9]\d* relative links, [1-9]\d* cited paths, 0 problem/);
  });

  it('a clean fixture passes (GitHub slugs, repeats, code spans, explicit anchors, fences ignored)', () => {
    const { status, lines } = checkDocs(join(fixtures, 'links-good'));
    expect(lines).toEqual(['check-docs: 2 Markdown files, 9 relative links, 5 cited paths, 0 problem(s)']);
    expect(status).toBe(0);
  });

  it('a broken fixture fails with one line per broken reference', () => {
    const { status, lines } = checkDocs(join(fixtures, 'links-broken'));
    expect(status).toBe(1);
    expect(lines).toEqual([
      'README.md:3: link docs/missing.md: no such file',
      'README.md:4: link docs/a.md#no-such-heading: no heading #no-such-heading in docs/a.md',
      'README.md:5: link README.md#nowhere: no heading #nowhere in README.md',
      'README.md:6: cited path packages/p/src/missing.ts: no such file',
      'README.md:7: cited path docs/a.md#also-missing: no heading #also-missing in docs/a.md',
      'README.md:8: link ../../../../../../../../../../../../etc/passwd: points outside the repository',
      'README.md:10: link docs/gone.md: no such file',
      'packages/p/src/x.ts:1: cited docs/a.md#absent: no heading #absent in docs/a.md',
      'check-docs: 2 Markdown files, 5 relative links, 3 cited paths, 8 problem(s)',
    ]);
  });
});
