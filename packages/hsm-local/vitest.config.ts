import { project } from '../../vitest.shared.ts';
export default project('hsm-local', { globalSetup: ['./test/global-setup.ts'] });
