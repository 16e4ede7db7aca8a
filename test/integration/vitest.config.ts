import { project } from '../../vitest.shared.ts';
export default project('integration', { include: ['*.test.ts'], testTimeout: 120_000 });
