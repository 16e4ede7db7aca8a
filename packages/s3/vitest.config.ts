import { configDefaults } from 'vitest/config';
import { MEMORY_TESTS, project } from '../../vitest.shared.ts';

// One Ceph RGW per run (test/helpers/rgw-global.ts), shared by the files that run against it.
// The 1 GiB memory test runs in s3-memory (vitest.memory.config.ts), alone, after the rest.
export default project('s3', { testTimeout: 180_000, globalSetup: ['./test/helpers/rgw-global.ts'], exclude: [...configDefaults.exclude, ...MEMORY_TESTS.s3!] });
