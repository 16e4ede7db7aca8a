import { configDefaults } from 'vitest/config';
import { MEMORY_TESTS, project } from '../../vitest.shared.ts';

// The 1 GiB `s3 cp` memory test runs in cli-memory (vitest.memory.config.ts), alone, after the rest.
export default project('cli', { globalSetup: ['./test/global-setup.ts'], exclude: [...configDefaults.exclude, ...MEMORY_TESTS.cli!] });
