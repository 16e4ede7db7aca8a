import { project } from '../../vitest.shared';
export default project('hsm-protocol');
