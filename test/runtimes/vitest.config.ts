import { project } from '../../vitest.shared.ts';

// Every runtime against the packed build (runtimes.test.ts); Chromium and workerd need the web entry.
export default project('runtimes', {
  include: ['*.test.ts'],
  testTimeout: 600_000,
  hookTimeout: 300_000,
});
