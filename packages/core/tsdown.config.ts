import { defineConfig } from 'tsdown';
import { library } from '../../tsdown.shared.ts';

// Two entries, built separately so that they share no chunk (a shared CommonJS runtime chunk would make
// index.cjs export a bundler helper): the main one (node:crypto only) and `./noble` (the pure-JS backend,
// the only code that imports @noble/*, optional peers and so external). `./noble` imports the main entry
// by the package's own name (external), so there is one StrongroomError class.
export default defineConfig([
  library({ clean: ['dist/index.*'] }),
  library({ entry: ['src/noble.ts'], clean: ['dist/noble.*'], deps: { neverBundle: ['@strongroom/core'] } }),
]);
