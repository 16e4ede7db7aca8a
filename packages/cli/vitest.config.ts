import { project } from '../../vitest.shared.ts';
export default project('cli', { globalSetup: ['./test/global-setup.ts'] });
