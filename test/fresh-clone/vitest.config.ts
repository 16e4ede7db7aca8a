import { project } from '../../vitest.shared.ts';

// A fresh clone installed and built from scratch: minutes, not seconds.
export default project('fresh-clone', { include: ['*.test.ts'], testTimeout: 60 * 60_000 });
