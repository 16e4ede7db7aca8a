import { project } from '../../vitest.shared.ts';
export default project('provider-custom-key-store');
