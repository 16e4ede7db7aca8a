/** Runs the comparison for real against the dev stack (short cells) and checks the report it writes. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '@strongroom/cli';
import { cheapest, compareKmsVsHsm } from './compare';

let stack: DevStack;
let tmp: string;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'example-compare-'));
  stack = await startDevStack({ dir: join(tmp, 'stack') });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('kms-vs-hsm example', () => {
  it('measures every backend and writes the HTML report with charts and the cost model', async () => {
    const htmlPath = join(tmp, 'report.html');
    const report = await compareKmsVsHsm({ config: stack.config, htmlPath, durationMs: 100, requestsPerMonth: 1_000_000, prices: { cloudHsmHour: 1.6, source: 'example: our negotiated rate' } });
    const measured = new Set(report.results.map((r) => r.backend));
    expect(measured.has('kms') && measured.has('hsm')).toBe(true);
    if (stack.config.cks.available) expect(measured.has('cks')).toBe(true);
    expect(report.results.every((r) => r.ops > 0 && r.errors === 0)).toBe(true);
    // Uncached: every op goes to the backend; cached: almost none do.
    for (const r of report.results) {
      if (!r.cache) expect(r.backendCallsPerOp).toBeGreaterThanOrEqual(2);
      else expect(r.backendCallsPerOp).toBeLessThan(1);
    }
    expect(report.cost.prices.cloudHsmHour).toBe(1.6);
    expect(report.cost.prices.source).toBe('example: our negotiated rate');
    // At a million operations a month with a cache, KMS costs a few dollars; HSMs cost thousands.
    expect(cheapest(report)).toBe('kms');
    const html = readFileSync(htmlPath, 'utf8');
    // the report decides: the recommendation first, then cost over volume, capacity, throughput and latency
    expect(report.recommendation.choice).toBe('kms');
    expect(html).toContain('<section id="recommendation"');
    expect(html.match(/<svg class="chart"/g)).toHaveLength(7);
    expect(html).toContain('our negotiated rate');
  });
});
