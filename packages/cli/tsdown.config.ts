import { defineConfig } from 'tsdown';

// Array form: the CLI entry must not share chunks with the library (STYLE.md gotcha 4), or
// `require('@strongroom/cli')` would run the command line.
export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    platform: 'node',
    target: 'node20',
    // Clean only the library's outputs: dist/cli.mjs must not vanish while a rebuild runs and
    // processes (tests, a running `strongroom dev`) are being started from it.
    clean: ['dist/index.*', 'dist/chunk-*'],
  },
  {
    entry: ['src/cli.ts'],
    format: ['esm'],
    dts: false,
    platform: 'node',
    target: 'node20',
    clean: false,
    // The binary carries the workspace packages it uses, so it runs from one file and never
    // half-loads a sibling package's dist/ while that package is being rebuilt. Third-party
    // dependencies (AWS SDK, commander, s3rver, pkcs11js) stay external.
    noExternal: [/^@strongroom\//],
    outputOptions: { banner: '#!/usr/bin/env node' },
  },
]);
