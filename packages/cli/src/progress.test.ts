import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSeconds, renderProgressLine } from './progress';

const MiB = 1024 * 1024;

describe('progress line', () => {
  it('shows the bar, percentage, counts, rate and ETA on a wide terminal', () => {
    const line = renderProgressLine({ label: 'encrypting', done: 2 * MiB, total: 8 * MiB, elapsedMs: 1000, width: 120 });
    expect(line).toMatch(/^encrypting \[#+-+\] 25% 2\.0 MiB\/8\.0 MiB 2\.0 MiB\/s ETA 3s$/);
  });

  it('fits 40 columns and keeps the percentage, rate and ETA', () => {
    const line = renderProgressLine({ label: 'upload s3://strongroom-dev/a/long/object/key', done: 3 * MiB, total: 12 * MiB, elapsedMs: 2000, width: 40 });
    expect(line.length).toBeLessThan(40);
    expect(line).toMatch(/25%/);
    expect(line).toMatch(/1\.5 MiB\/s/);
    expect(line).toMatch(/ETA 6s/);
  });

  it('counts bytes and shows the rate for a pipe of unknown length', () => {
    expect(renderProgressLine({ label: 'encrypting', done: 5 * MiB, elapsedMs: 2000, width: 80 })).toBe('encrypting 5.0 MiB 2.5 MiB/s');
  });

  it('never exceeds the width, whatever the numbers (1,000 cases)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 80 }),
        fc.nat({ max: 2 ** 40 }),
        fc.option(fc.nat({ max: 2 ** 40 }), { nil: undefined }),
        fc.nat({ max: 10 ** 7 }),
        fc.integer({ min: 1, max: 300 }),
        (label, done, total, elapsedMs, width) => {
          const line = renderProgressLine({ label, done, total, elapsedMs, width });
          expect(line.length).toBeLessThanOrEqual(Math.max(10, width - 1));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('formats durations', () => {
    expect(formatSeconds(3.4)).toBe('3s');
    expect(formatSeconds(185)).toBe('3m05s');
    expect(formatSeconds(3720)).toBe('1h02m');
  });
});
