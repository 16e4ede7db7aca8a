import { project } from '../../vitest.shared.ts';

// Nodes on several hosts, one network namespace each (docs/reliability.md "Nodes across hosts").
// Needs Linux and root; one test, run on its own.
export default project('netns', { include: ['*.test.ts'], testTimeout: 600_000, fileParallelism: false, isolate: true });
