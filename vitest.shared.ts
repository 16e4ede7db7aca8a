import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

/**
 * Shared project settings: resolve workspace packages to their TypeScript sources through the
 * `@strongroom/source` export condition, so tests never run against a stale build.
 */
export function project(name: string, test: UserWorkspaceConfig['test'] = {}) {
  // No 'module' condition: it selects the AWS SDK's bundler-only dist-es build, which Node cannot
  // load once vitest externalizes it.
  const conditions = ['@strongroom/source', 'node', 'import', 'default'];
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['@strongroom/source'] } },
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      // Ceilings, not speed checks: test files run concurrently (vitest.config.ts) on machines as
      // small as 2 cores, where a dev stack's three HSM nodes and kms-local take many times longer to
      // start than on a quiet machine.
      testTimeout: 120_000,
      hookTimeout: 300_000,
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      // A worker process runs several test files, one after another, keeping the modules they share
      // (the AWS SDK, the sources): on the 2-core CI machine every file re-importing them was ~15 % of
      // the suite's CPU. Test files restore what they change of the process (env, globals, msw), and
      // the files that measure their own process's memory run isolated (memoryProject).
      isolate: false,
      ...test,
    },
  });
}

/**
 * The files that measure a process's peak resident set (1 GiB transfers, RSS growth < 64 MiB): their
 * figure depends on how soon V8 frees dead buffers, which lags when other test files starve its
 * marking threads of CPU (65–84 MiB seen at load average 20–38, 38–61 MiB alone). Each package's main
 * project leaves them out (`exclude`), and `memoryProject` runs them in a project of their own after
 * every other project (vitest `sequence.groupOrder`), one file at a time, one project after another.
 */
export const MEMORY_TESTS: Readonly<Record<string, readonly string[]>> = {
  core: ['test/pool-memory.test.ts'],
  s3: ['test/large-framed.test.ts'],
  cli: ['test/s3-cp-large.test.ts'],
};

/** A package's memory-measuring files as their own project (`<name>-memory`), run alone at the end. */
export function memoryProject(name: string, test: UserWorkspaceConfig['test'] = {}) {
  return project(`${name}-memory`, {
    ...test,
    include: [...(MEMORY_TESTS[name] ?? [])],
    fileParallelism: false,
    // A fresh process per file: its peak RSS is the file's own, not what earlier files left behind.
    isolate: true,
    // One group each, in MEMORY_TESTS's order: never two of them at once.
    sequence: { groupOrder: 1 + Object.keys(MEMORY_TESTS).indexOf(name) },
  });
}
