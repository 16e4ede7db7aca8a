import { project } from '../../vitest.shared.ts';
export default project('smoke', { include: ['*.test.ts'] });
