import { configDefaults } from 'vitest/config';
import { MEMORY_TESTS, project } from '../../vitest.shared.ts';

// The 1 GiB memory test runs in core-memory (vitest.memory.config.ts), alone, after the rest.
export default project('core', { exclude: [...configDefaults.exclude, ...MEMORY_TESTS.core!] });
