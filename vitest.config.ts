import { defineConfig } from 'vitest/config';

// One vitest run over every workspace project. Each project has its own vitest.config.ts
// (defineProject) so that `vitest run` inside a package works too (STYLE.md gotcha 5).
export default defineConfig({
  test: {
    projects: ['packages/*', 'test/*', 'examples/*'],
  },
});
