import { project } from '../../vitest.shared.ts';

// The packages as a user installs them: packed and installed once per run by global-setup.ts.
export default project('tarball', {
  include: ['*.test.ts'],
  globalSetup: ['./global-setup.ts'],
  testTimeout: 180_000,
  hookTimeout: 300_000,
});
