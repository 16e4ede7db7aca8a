import { mergeConfig } from 'vitest/config';
import { project } from '../../vitest.shared';

// The shared project lists the 'module' condition, which makes @aws-sdk/* resolve to their
// bundler-only dist-es builds (extensionless imports Node cannot load). Resolve as Node does.
const conditions = ['@strongroom/source', 'node', 'import', 'default'];
const base = project('s3', { testTimeout: 60_000 });
export default mergeConfig(base, {
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@strongroom/source'] } },
});
