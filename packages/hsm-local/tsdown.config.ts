import { defineConfig } from 'tsdown';
import { cli, library, LIBRARY_OUTPUTS } from '../../tsdown.shared.ts';

// The node binary bundles @strongroom/core and @strongroom/hsm-protocol, so a node process never
// depends on another package's build state.
export default defineConfig([library({ clean: LIBRARY_OUTPUTS }), cli({ noExternal: ['@strongroom/core', '@strongroom/hsm-protocol'] })]);
