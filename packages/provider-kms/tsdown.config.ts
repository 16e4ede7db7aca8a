import { defineConfig } from 'tsdown';
import { library } from '../../tsdown.shared.ts';

// Two entries, built separately so that they share no chunk: the Node one and the web one (ESM only,
// for the browser/worker/workerd/deno/default conditions), which must contain no `node:` import and no
// `Buffer`/`process` (core's scripts/check-web-build.mjs checks dist/web*.mjs after the build).
export default defineConfig([
  library({ clean: ['dist/index.*'] }),
  library({
    entry: ['src/web.ts'],
    format: ['esm'],
    platform: 'neutral',
    target: 'es2022',
    fixedExtension: true,
    clean: ['dist/web.*', 'dist/web-*'],
    outputOptions: { chunkFileNames: 'web-[name]-[hash].mjs' },
  }),
]);
