/**
 * The binary's build (tsdown.shared.ts `cli()`) does not clean dist/, and its chunks carry content
 * hashes: after writing, it removes the cli-*.mjs files that build did not write, and nothing else.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { pruneStaleCliChunks } from '../../tsdown.shared.ts';

const dir = mkdtempSync(join(tmpdir(), 'strongroom-prune-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('removes the cli-*.mjs chunks of earlier builds, keeps this build and every other file', () => {
  const files = ['cli.mjs', 'cli-s3-NEW1.mjs', 'cli-s3-OLD1.mjs', 'cli-dev-OLD2.mjs', 'index.mjs', 'index.cjs', 'index.d.mts', 'chunk-ABC.mjs', 'cli-notes.txt'];
  for (const f of files) writeFileSync(join(dir, f), '');
  mkdirSync(join(dir, 'cli-dir.mjs.d'));
  const written = { 'cli.mjs': {}, 'cli-s3-NEW1.mjs': {} };
  pruneStaleCliChunks().writeBundle({ dir }, written);
  expect(readdirSync(dir).sort()).toEqual(['chunk-ABC.mjs', 'cli-dir.mjs.d', 'cli-notes.txt', 'cli-s3-NEW1.mjs', 'cli.mjs', 'index.cjs', 'index.d.mts', 'index.mjs']);
});

it('does nothing without an output directory', () => {
  expect(() => pruneStaleCliChunks().writeBundle({}, {})).not.toThrow();
});
