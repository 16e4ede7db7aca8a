import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One vitest run over every workspace project. Each project has its own vitest.config.ts
// (defineProject) so that `vitest run` inside a package works too (without it, vitest inside a
// package picks up this root config and finds no test files).
//
// Test files run concurrently, each in its own worker process (https://vitest.dev/config/#maxworkers):
// most of them wait on sockets and on the servers they spawn (HSM nodes, kms-local, S3), so twice as
// many workers as cores keeps the CPUs busy; vitest's default (cores − 1) ran one file at a time on
// a 2-core CI machine. `VITEST_MAX_WORKERS=1` runs them one by one again. A project that must run on
// its own sets `fileParallelism: false` in its config: vitest runs those files one at a time after
// the others.
export default defineConfig({
  test: {
    // packages/*/vitest.memory.config.ts: the files that measure peak RSS, run alone after the rest
    // (vitest.shared.ts MEMORY_TESTS).
    projects: ['packages/*', 'test/*', 'examples/*', 'packages/*/vitest.memory.config.ts'],
    maxWorkers: Math.min(8, Math.max(2, 2 * availableParallelism())),
  },
});
