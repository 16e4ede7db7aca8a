import { defineConfig } from 'tsdown';
import { library, webLibrary } from '../../tsdown.shared.ts';

// Three entries, built separately so that they share no chunk (a shared CommonJS runtime chunk would make
// index.cjs export a bundler helper): the Node one (node:crypto, Node streams), `./noble` (the pure-JS
// backend, the only code that imports @noble/*, optional peers and so external) and the web one
// (Web Crypto, WHATWG streams; ESM only, for the browser/worker/workerd/deno/default conditions), built
// together with `./streams` (dist/web-streams.mjs: the stream functions alone), so both share chunks.
// `./noble` imports the main entry by the package's own name (external), so there is one StrongroomError
// class. The web build must contain no `node:` import and no `Buffer` (scripts/check-web-build.mjs).
export default defineConfig([
  library({ clean: ['dist/index.*'] }),
  library({ entry: ['src/noble.ts'], clean: ['dist/noble.*'], deps: { neverBundle: ['@strongroom/core'] } }),
  webLibrary({ entry: { web: 'src/web.ts', 'web-streams': 'src/streams.ts' } }),
]);
