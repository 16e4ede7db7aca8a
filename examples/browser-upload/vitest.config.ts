import { project } from '../../vitest.shared.ts';
// The dev stack's HSM nodes run hsm-local's built binary: build it (and the rest) when stale.
export default project('browser-upload', { globalSetup: ['../../packages/cli/test/global-setup.ts'], testTimeout: 300_000, hookTimeout: 300_000 });
