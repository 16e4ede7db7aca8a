/**
 * Shared tsdown settings. Every package builds its library entry as ESM + CJS + types for Node 20;
 * a package with a binary builds it as a *separate* config (a library entry and a bin entry in one
 * config made `require()` of the library run the CLI: rolldown put its shared runtime helpers in the
 * CLI chunk, and the CJS library entry required it).
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { UserConfig } from 'tsdown';

const node20 = { platform: 'node', target: 'node20' } as const;

/** The library entry (src/index.ts → dist/index.{mjs,cjs,d.mts,d.cts}). */
export function library(overrides: UserConfig = {}): UserConfig {
  return { entry: ['src/index.ts'], format: ['esm', 'cjs'], dts: true, clean: true, ...node20, ...overrides };
}

/**
 * A package's web entry (src/web.ts → dist/web.{mjs,d.mts}), ESM only, for the browser / worker /
 * workerd / deno / default export conditions; built as a config of its own so that it shares no chunk
 * with the Node entry. It must contain no `node:` import and no `Buffer`/`process`: the package's build
 * script runs core's scripts/check-web-build.mjs on dist/web*.mjs.
 */
export function webLibrary(overrides: UserConfig = {}): UserConfig {
  return library({
    entry: ['src/web.ts'],
    format: ['esm'],
    platform: 'neutral',
    target: 'es2022',
    fixedExtension: true,
    clean: ['dist/web.*', 'dist/web-*'],
    outputOptions: { chunkFileNames: 'web-[name]-[hash].mjs' },
    ...overrides,
  });
}

/**
 * The binary (src/cli.ts → dist/cli.mjs), ESM only; the source's `#!/usr/bin/env node` line is kept.
 * It never cleans dist/ (the library config does), and a package with a binary should clean only its
 * library outputs so that processes being started from dist/cli.mjs never see it vanish mid-rebuild.
 */
export function cli(overrides: UserConfig = {}): UserConfig {
  // Commands may load their implementation on demand (dynamic import): those chunks are cli-*.mjs.
  return {
    entry: ['src/cli.ts'],
    format: ['esm'],
    dts: false,
    clean: false,
    outputOptions: { chunkFileNames: 'cli-[name]-[hash].mjs' },
    plugins: [pruneStaleCliChunks()],
    ...node20,
    ...overrides,
  };
}

/**
 * Chunk names carry a content hash, and the binary's config does not clean dist/: without this, every
 * rebuild after a change left the previous build's cli-*.mjs beside the new ones (and `npm pack` of a
 * working tree shipped them). Once the new build is written, it removes the cli-*.mjs files it did not write.
 */
export function pruneStaleCliChunks() {
  return {
    name: 'strongroom:prune-stale-cli-chunks',
    writeBundle(options: { dir?: string }, bundle: Record<string, unknown>) {
      if (!options.dir) return;
      for (const name of readdirSync(options.dir)) {
        if (/^cli-.*\.mjs$/.test(name) && !(name in bundle)) rmSync(join(options.dir, name), { force: true });
      }
    },
  };
}

/** `clean` for a package with a binary: the library's outputs only. */
export const LIBRARY_OUTPUTS = ['dist/index.*', 'dist/chunk-*'];
