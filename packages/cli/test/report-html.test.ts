/**
 * The comparison's HTML report, from a real (short) comparison on a real dev stack, rendered in
 * headless Chromium (Debian `chromium`, driven by playwright-core): the page loads with no external
 * requests, the three SVG charts are present with one visible bar per measured value, and a
 * screenshot is taken (kept next to the report for inspection).
 */
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runComparison } from '../src/compare/run';
import { renderHtml, type CompareReport } from '../src/compare/report';
import { startDevStack, type DevStack } from '../src/dev-stack';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function chromiumMissing(): string | undefined {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found (apt-get install chromium)`;
  return undefined;
}

const missing = chromiumMissing();
if (missing && process.env.STRONGROOM_REQUIRE_ALL_SUITES === '1') throw new Error(`report-html: ${missing} (STRONGROOM_REQUIRE_ALL_SUITES=1)`);
if (missing) console.warn(`[skip] report-html: ${missing}`);

describe.skipIf(!!missing)('compare --html report in headless Chromium', () => {
  let stack: DevStack;
  let tmp: string;
  let report: CompareReport;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'strongroom-report-'));
    stack = await startDevStack({ dir: join(tmp, 'stack') });
    report = await runComparison({ config: stack.config, backends: ['kms', 'hsm', 'cks'], payloads: [1024], concurrency: [1, 4], cache: [false, true], durationMs: 150 });
  });

  afterAll(async () => {
    await stack?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('renders the charts', async () => {
    const htmlPath = join(tmp, 'report.html');
    writeFileSync(htmlPath, renderHtml(report));
    const measured = report.results.length;
    expect(measured).toBeGreaterThanOrEqual(8); // kms and hsm always; cks when its store is up

    const { chromium } = await import('playwright-core');
    // A fresh profile directory per run (playwright passes it as --user-data-dir).
    const browser = await chromium.launchPersistentContext(join(tmp, 'chromium-profile'), { executablePath: CHROMIUM, args: ARGS, viewport: { width: 1280, height: 900 } });
    try {
      const page = await browser.newPage();
      const external: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) external.push(r.url());
      });
      await page.goto(`file://${htmlPath}`);
      expect(await page.title()).toBe('Strongroom backend comparison');

      const charts = await page.$$eval('svg.chart', (svgs) =>
        svgs.map((s) => {
          const box = s.getBoundingClientRect();
          const bars = [...s.querySelectorAll('rect.bar')].map((r) => r.getBoundingClientRect());
          return { id: s.id, width: box.width, height: box.height, bars: bars.length, visibleBars: bars.filter((b) => b.height > 0 && b.width > 0).length };
        }),
      );
      expect(charts.map((c) => c.id)).toEqual(['chart-throughput', 'chart-latency', 'chart-cost']);
      for (const c of charts) {
        expect(c.width).toBeGreaterThan(300);
        expect(c.height).toBeGreaterThan(200);
      }
      const [throughput, latency, cost] = charts;
      expect(throughput!.bars).toBe(measured);
      expect(throughput!.visibleBars).toBe(report.results.filter((r) => r.opsPerSec > 0).length);
      expect(latency!.bars).toBe(measured * 3);
      expect(cost!.bars).toBe(report.cost.rows.reduce((n, r) => n + (r.noCache ? 1 : 0) + (r.withCache ? 1 : 0), 0));
      expect(cost!.visibleBars).toBe(cost!.bars); // every backend costs something per month
      expect(await page.locator('table').count()).toBe(3); // measurements, cost, matrix
      expect(await page.locator('text=as recorded on').count()).toBeGreaterThan(0);
      expect(external).toEqual([]); // self-contained

      const shot = join(tmp, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
  });
});
