import { defineConfig } from 'tsdown';
import { library, webLibrary } from '../../tsdown.shared.ts';

// Two entries, built separately so that they share no chunk: the Node one and the web one (ESM only,
// for the browser/worker/workerd/deno/default conditions; no `node:` import, checked after the build).
export default defineConfig([library({ clean: ['dist/index.*'] }), webLibrary()]);
