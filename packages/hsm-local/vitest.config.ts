import { project } from '../../vitest.shared';
export default project('hsm-local', { globalSetup: ['./test/global-setup.ts'] });
