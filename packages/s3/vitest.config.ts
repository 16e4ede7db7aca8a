import { project } from '../../vitest.shared.ts';

export default project('s3', { testTimeout: 60_000 });
