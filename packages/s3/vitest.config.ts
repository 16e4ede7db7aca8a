import { project } from '../../vitest.shared.ts';

// One Ceph RGW per run (test/helpers/rgw-global.ts), shared by the files that run against it.
export default project('s3', { testTimeout: 180_000, globalSetup: ['./test/helpers/rgw-global.ts'] });
