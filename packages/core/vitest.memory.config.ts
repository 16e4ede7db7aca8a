import { memoryProject } from '../../vitest.shared.ts';

// core's 1 GiB pooled round trip (peak RSS), run alone after every other project (vitest.shared.ts).
export default memoryProject('core', { testTimeout: 600_000 });
