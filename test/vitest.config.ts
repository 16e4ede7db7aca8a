import { project } from '../vitest.shared';
export default project('integration', { include: ['**/*.test.ts'] });
