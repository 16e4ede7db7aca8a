import { defineConfig } from 'tsdown';
import { library } from '../../tsdown.shared.ts';

// Two entries: the main one (node:crypto only) and `./noble` (the pure-JS backend, the only code that
// imports @noble/*, which are optional peers and so stay external).
export default defineConfig(library({ entry: ['src/index.ts', 'src/noble.ts'] }));
