import { defineConfig } from 'tsdown';

// Array form (STYLE.md gotcha 4): the library and the CLI never share a chunk. The CLI bundles
// @strongroom/core so a node process does not depend on another package's build state.
export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    platform: 'node',
    target: 'node20',
    // Clean only the library's own outputs: wiping all of dist/ would remove cli.mjs from under
    // node processes that tests (or a dev stack) are starting while a rebuild runs.
    clean: ['dist/index.*', 'dist/chunk-*'],
  },
  {
    entry: ['src/cli.ts'],
    format: ['esm'],
    dts: false,
    platform: 'node',
    target: 'node20',
    clean: false,
    noExternal: ['@strongroom/core'],
  },
]);
