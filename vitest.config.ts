import { defineConfig } from 'vitest/config';

// One vitest run over every workspace project. Each project has its own vitest.config.ts
// (defineProject) so that `vitest run` inside a package works too (without it, vitest inside a
// package picks up this root config and finds no test files).
export default defineConfig({
  test: {
    projects: ['packages/*', 'test/*', 'examples/*'],
  },
});
