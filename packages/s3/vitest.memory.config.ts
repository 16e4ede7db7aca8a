import { memoryProject } from '../../vitest.shared.ts';

// s3's 1 GiB framed object (peak RSS of upload() and download(); on s3rver, no RGW needed), run alone
// after every other project (vitest.shared.ts).
export default memoryProject('s3', { testTimeout: 180_000 });
