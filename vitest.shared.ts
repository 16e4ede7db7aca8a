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
      ...test,
    },
  });
}
