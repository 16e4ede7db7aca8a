/**
 * The comparison's HTML report, from a real (short) comparison on a real dev stack, rendered in
 * headless Chromium (Debian `chromium`, driven by playwright-core) at 1400 px and 800 px: no
 * horizontal scroll (document.scrollingElement.scrollWidth <= innerWidth), every chart's bounding
 * box non-zero and inside the viewport width, the recommendation present and first, no external
 * requests. Screenshots go to STRONGROOM_SHOTS_DIR (default: the test's temporary directory).
 * The layout check is shown to fail on a report with a fixed-width chart and on one without the
 * recommendation, so a pass means something.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { runComparison } from '../src/compare/run';
import { renderHtml, type CompareReport } from '../src/compare/report';
import { DEFAULT_WORKLOAD } from '../src/compare/workload-spec';
import { startDevStack, type DevStack } from '../src/dev-stack';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const WIDTHS = [1400, 800] as const;
const EXPECTED_CHARTS = ['chart-cost-uncached', 'chart-cost-cached', 'chart-capacity', 'chart-throughput-uncached', 'chart-throughput-cached', 'chart-latency-uncached', 'chart-latency-cached'];

const missing = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} not found (apt-get install chromium)`;
if (missing && process.env.STRONGROOM_REQUIRE_ALL_SUITES === '1') throw new Error(`report-html: ${missing} (STRONGROOM_REQUIRE_ALL_SUITES=1)`);
if (missing) console.warn(`[skip] report-html: ${missing}`);

/** The few DOM shapes the in-page check uses (the package compiles without the DOM library). */
interface Box {
  left: number;
  right: number;
  top: number;
  width: number;
  height: number;
}
interface El {
  id: string;
  textContent: string | null;
  getBoundingClientRect(): Box;
  querySelector(selector: string): El | null;
  querySelectorAll(selector: string): Iterable<El>;
}
declare const document: El & { scrollingElement: { scrollWidth: number } | null };
declare const window: { innerWidth: number };

interface Layout {
  width: number;
  innerWidth: number;
  scrollWidth: number;
  charts: Array<{ id: string; left: number; right: number; width: number; height: number; titleFits: boolean }>;
  recommendation: { present: boolean; text: string; top: number; firstChartTop: number };
}

/** What is wrong with a layout (empty: nothing). */
function layoutProblems(l: Layout): string[] {
  const out: string[] = [];
  if (l.scrollWidth > l.innerWidth) out.push(`${l.width}px: the page scrolls sideways (scrollWidth ${l.scrollWidth} > innerWidth ${l.innerWidth})`);
  for (const c of l.charts) {
    if (!(c.width > 0 && c.height > 0)) out.push(`${l.width}px: ${c.id} has an empty box`);
    if (c.left < 0 || c.right > l.innerWidth) out.push(`${l.width}px: ${c.id} spans ${c.left}…${c.right}, outside 0…${l.innerWidth}`);
    if (!c.titleFits) out.push(`${l.width}px: ${c.id}'s title or subtitle is clipped`);
  }
  if (!l.recommendation.present) out.push(`${l.width}px: no recommendation`);
  else if (!(l.recommendation.top < l.recommendation.firstChartTop)) out.push(`${l.width}px: the recommendation is not above the charts`);
  return out;
}

async function measure(browser: BrowserContext, htmlPath: string, width: number, shot?: string): Promise<{ layout: Layout; external: string[] }> {
  const page = await browser.newPage();
  try {
    await page.setViewportSize({ width, height: 900 });
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) external.push(r.url());
    });
    await page.goto(`file://${htmlPath}`);
    const layout = await page.evaluate((w) => {
      const rec = document.querySelector('#recommendation');
      const charts = [...document.querySelectorAll('svg.chart')].map((s) => {
        const b = s.getBoundingClientRect();
        const texts = [...s.querySelectorAll('text.title, text.sub')].map((t) => t.getBoundingClientRect());
        return { id: s.id, left: b.left, right: b.right, width: b.width, height: b.height, titleFits: texts.every((tb) => tb.left >= b.left - 0.5 && tb.right <= b.right + 0.5) };
      });
      const firstChart = document.querySelector('svg.chart')?.getBoundingClientRect().top ?? Infinity;
      return {
        width: w,
        innerWidth: window.innerWidth,
        scrollWidth: document.scrollingElement!.scrollWidth,
        charts,
        recommendation: { present: !!rec && rec.getBoundingClientRect().height > 0, text: rec?.textContent ?? '', top: rec?.getBoundingClientRect().top ?? Infinity, firstChartTop: firstChart },
      };
    }, width);
    if (shot) await page.screenshot({ path: shot, fullPage: true });
    return { layout, external };
  } finally {
    await page.close();
  }
}

describe.skipIf(!!missing)('compare --html report in headless Chromium', () => {
  let stack: DevStack;
  let tmp: string;
  let report: CompareReport;
  let browser: BrowserContext;
  let htmlPath: string;
  const shots = process.env.STRONGROOM_SHOTS_DIR;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'strongroom-report-'));
    stack = await startDevStack({ dir: join(tmp, 'stack') });
    report = await runComparison({
      config: stack.config,
      backends: ['kms', 'hsm', 'cks'],
      payloads: [1024],
      concurrency: [1, 4],
      cache: [false, true],
      durationMs: 100,
      trials: 5,
      workload: { ...DEFAULT_WORKLOAD, opsPerMonth: 1e9, peakOpsPerSecond: 800 },
    });
    htmlPath = join(tmp, 'report.html');
    writeFileSync(htmlPath, renderHtml(report));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launchPersistentContext(join(tmp, 'chromium-profile'), { executablePath: CHROMIUM, args: ARGS, viewport: { width: 1400, height: 900 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('fits 1400 px and 800 px: no sideways scroll, every chart visible and inside, the recommendation first', async () => {
    expect(report.results.every((r) => r.trials?.count === 5)).toBe(true);
    const dir = shots ?? tmp;
    mkdirSync(dir, { recursive: true });
    for (const width of WIDTHS) {
      const shot = join(dir, `report-${width}.png`);
      const { layout, external } = await measure(browser, htmlPath, width, shot);
      expect(layout.charts.map((c) => c.id)).toEqual(EXPECTED_CHARTS);
      expect(layoutProblems(layout)).toEqual([]);
      expect(layout.recommendation.text).toMatch(/Use: AWS KMS|Use: an HSM cluster/);
      expect(layout.recommendation.text).toMatch(/What would change it/);
      expect(external).toEqual([]); // self-contained
      expect(statSync(shot).size).toBeGreaterThan(20_000);
    }
  });

  it('the check catches a chart with a fixed pixel width (the old 2,644 px latency chart)', async () => {
    const fixed = renderHtml(report).replace('<svg class="chart" id="chart-latency-uncached" ', '<svg class="chart" id="chart-latency-uncached" style="width:2644px;max-width:none" ');
    const p = join(tmp, 'fixed.html');
    writeFileSync(p, fixed);
    for (const width of WIDTHS) {
      const { layout } = await measure(browser, p, width);
      const problems = layoutProblems(layout);
      expect(problems.join('\n')).toMatch(/chart-latency-uncached spans/);
      expect(problems.join('\n')).toMatch(/scrolls sideways/);
    }
  });

  it('the check catches a report without the recommendation', async () => {
    const none = renderHtml(report).replace(/<section id="recommendation"[\s\S]*?<\/section>/, '');
    const p = join(tmp, 'none.html');
    writeFileSync(p, none);
    const { layout } = await measure(browser, p, 1400);
    expect(layoutProblems(layout)).toEqual(['1400px: no recommendation']);
  });
});
