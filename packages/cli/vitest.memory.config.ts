import { memoryProject } from '../../vitest.shared.ts';

// The CLI's 1 GiB `s3 cp` (peak RSS both ways), run alone after every other project (vitest.shared.ts).
export default memoryProject('cli', { globalSetup: ['./test/global-setup.ts'] });
