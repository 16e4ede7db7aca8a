import { project } from '../../vitest.shared.ts';

// Nodes on several hosts, one network namespace each (docs/reliability.md "Nodes across hosts").
// Needs Linux and root. One test in a fresh process (isolate); it runs beside other files (its waits
// count operations under generous deadlines), not alone at the end of the run.
export default project('netns', { include: ['*.test.ts'], testTimeout: 600_000, isolate: true });
