import { project } from '../../vitest.shared.ts';
// The dev stack's HSM nodes run hsm-local's built binary: build it (and the rest) when stale.
export default project('drop-in-s3-wrapper', { globalSetup: ['../../packages/cli/test/global-setup.ts'] });
