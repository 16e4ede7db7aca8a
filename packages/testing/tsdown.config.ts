import { defineConfig } from 'tsdown';
import { library } from '../../tsdown.shared.ts';

// ESM only: the package imports vitest, which cannot be require()d.
export default defineConfig(library({ entry: { index: 'src/index.ts', 'servers/index': 'src/servers/index.ts' }, format: ['esm'] }));
