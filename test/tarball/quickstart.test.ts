/**
 * The README quickstart of @strongroom/core and its stream-functions example, taken from the README
 * inside the installed tarball (the one npm shows), run as scripts in the consumer project.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, inject, it } from 'vitest';
import { node } from './consumer';

const { app } = inject('tarball');

/** The first ```ts block after `heading` in a Markdown file. */
function codeBlockAfter(markdown: string, heading: string): string {
  const at = markdown.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`no "${heading}" section`);
  const block = /```ts\n([\s\S]*?)```/.exec(markdown.slice(at));
  if (!block) throw new Error(`no ts block after "${heading}"`);
  return block[1]!;
}

it("@strongroom/core's README quickstart runs as written", () => {
  const readme = readFileSync(join(app, 'node_modules', '@strongroom', 'core', 'README.md'), 'utf8');
  const dir = join(app, 'quickstart');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'quickstart.mjs'), codeBlockAfter(readme, '## Quickstart'));
  writeFileSync(join(dir, 'in.bin'), Buffer.alloc(100_000, 1)); // the file its stream example reads
  const r = node(dir, ['quickstart.mjs']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('card 4111…\n');
});

it("@strongroom/core's README stream-functions example (@strongroom/core/streams) runs as written", () => {
  const readme = readFileSync(join(app, 'node_modules', '@strongroom', 'core', 'README.md'), 'utf8');
  const dir = join(app, 'stream-functions');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'streams.mjs'), codeBlockAfter(readme, '### Stream functions: `@strongroom/core/streams`'));
  const r = node(dir, ['streams.mjs']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toBe('attack at dawn\n');
});
