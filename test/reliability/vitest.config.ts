import { project } from '../../vitest.shared.ts';

// Cross-package reliability and security suite (issue 9): fault injection against real servers,
// tampering, access control and fuzzing of every parser that reads outside input. docs/reliability.md
// lists each test with its figures and the command that reruns it.
export default project('reliability', { include: ['*.test.ts'] });
