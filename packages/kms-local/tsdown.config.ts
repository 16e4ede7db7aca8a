import { defineConfig } from 'tsdown';
import { cli, library, LIBRARY_OUTPUTS } from '../../tsdown.shared.ts';

export default defineConfig([library({ clean: LIBRARY_OUTPUTS }), cli()]);
