import { project } from '../../vitest.shared.ts';
// The dev stack's HSM nodes run hsm-local's built binary: build it (and the rest) when stale.
export default project('sse-c-from-hsm', { globalSetup: ['../../packages/cli/test/global-setup.ts'] });
