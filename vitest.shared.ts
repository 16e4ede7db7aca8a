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
      testTimeout: 30_000,
      hookTimeout: 60_000,
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      ...test,
    },
  });
}
