/**
 * Rendering of a comparison: a text table for terminals, JSON for machines, and a self-contained
 * HTML page (inline CSS and SVG charts, no scripts or external resources) for people.
 */
import type { CostLine, PriceInputs, UsageInputs } from './pricing';
import { BACKEND_TITLES, LOCAL_STAND_INS, MATRIX, type MatrixRow } from './matrix';
import type { CellResult } from './workload';

/** Whether a backend could be measured in this run, and why not. */
export interface BackendStatus {
  readonly name: string;
  readonly title: string;
  readonly localStandIn: string;
  readonly available: boolean;
  readonly reason?: string;
}

/** A backend's monthly cost with and without the data-key cache. */
export interface CostRow {
  readonly backend: string;
  readonly noCache?: CostLine;
  readonly withCache?: CostLine;
}

/**
 * The full result of `strongroom compare`: host, profile, backends, measured cells and costs. Its shape is what `--json` prints (`version` changes when it does).
 */
export interface CompareReport {
  readonly tool: 'strongroom compare';
  readonly version: 1;
  readonly generatedAt: string;
  readonly host: { readonly node: string; readonly platform: string; readonly cpus: number };
  readonly profile: string;
  readonly durationMs: number;
  readonly backends: readonly BackendStatus[];
  readonly results: readonly CellResult[];
  readonly cost: { readonly usage: UsageInputs; readonly prices: PriceInputs; readonly rows: readonly CostRow[] };
  readonly matrix: readonly MatrixRow[];
}

export function formatBytes(n: number): string {
  if (n >= 1048576 && n % 1048576 === 0) return `${n / 1048576}MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024}KiB`;
  return `${n}B`;
}

const usd = (n: number) => `$${n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

function textTable(header: string[], rows: string[][], rightAlign: boolean[] = []): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (rightAlign[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

export function cellLabel(r: Pick<CellResult, 'payloadBytes' | 'concurrency' | 'cache'>): string {
  return `${formatBytes(r.payloadBytes)} c${r.concurrency}${r.cache ? ' cache' : ''}`;
}

/** The measurement table alone (what `npm start` prints). */
export function renderResultsTable(results: readonly CellResult[]): string[] {
  return textTable(
    ['backend', 'payload', 'conc', 'cache', 'ops', 'ops/s', 'p50 ms', 'p95 ms', 'p99 ms', 'calls/op', 'cache hit', 'errors'],
    results.map((r) => [
      r.backend,
      formatBytes(r.payloadBytes),
      String(r.concurrency),
      r.cache ? 'on' : 'off',
      String(r.ops),
      r.opsPerSec.toFixed(1),
      r.p50Ms.toFixed(2),
      r.p95Ms.toFixed(2),
      r.p99Ms.toFixed(2),
      r.backendCallsPerOp.toFixed(3),
      r.cacheHitRate === null ? '-' : `${(r.cacheHitRate * 100).toFixed(1)}%`,
      String(r.errors),
    ]),
    [false, true, true, false, true, true, true, true, true, true, true, true],
  );
}

const COST_HEADERS = ['backend', 'calls/op', 'per month (no cache)', 'calls/op (cache)', 'per month (cache)', 'what'];

/** The cost table's cells, shared by the text and the HTML report. */
function costCells(rows: CompareReport['cost']['rows']): string[][] {
  return rows.map((r) => [
    r.backend,
    r.noCache ? r.noCache.callsPerOp.toFixed(3) : '-',
    r.noCache ? usd(r.noCache.totalPerMonth) : '-',
    r.withCache ? r.withCache.callsPerOp.toFixed(3) : '-',
    r.withCache ? usd(r.withCache.totalPerMonth) : '-',
    (r.noCache ?? r.withCache)?.notes ?? '',
  ]);
}

/** The cost table of a report as text lines. */
export function renderCostTable(report: Pick<CompareReport, 'cost'>): string[] {
  const { usage, prices, rows } = report.cost;
  const lines = textTable(
    COST_HEADERS,
    costCells(rows),
    [false, true, true, true, true, false],
  );
  return [
    `cost per month for ${usage.requestsPerMonth.toLocaleString('en-US')} operations, ${usage.keys} keys, ${usage.hsmCount} HSMs`,
    ...lines,
    `prices (inputs, ${prices.region}): KMS ${usd(prices.kmsKeyMonth)}/key-month, ${usd(prices.kmsPer10kRequests)}/10k requests; CloudHSM ${usd(prices.cloudHsmHour)}/HSM-hour × ${prices.hoursPerMonth} h`,
    `source: ${prices.source}`,
  ];
}

/** The qualitative matrix for the given backends as text lines. */
export function renderMatrix(backends: readonly string[]): string[] {
  const out: string[] = [];
  for (const row of MATRIX) {
    out.push(`${row.aspect}:`);
    for (const b of backends) out.push(`  ${(BACKEND_TITLES[b] ?? b).padEnd(28)} ${row[b as keyof MatrixRow]}`);
  }
  return out;
}

/** The full text report. */
export function renderText(report: CompareReport): string {
  const out: string[] = [];
  out.push(`strongroom compare — ${report.generatedAt} — profile ${report.profile}, ${report.durationMs} ms per cell, ${report.host.cpus} CPUs, Node ${report.host.node}`);
  for (const b of report.backends) out.push(`  ${b.name.padEnd(7)} ${b.available ? b.localStandIn : `skipped: ${b.reason}`}`);
  out.push('', ...renderResultsTable(report.results), '', ...renderCostTable(report), '', ...renderMatrix(report.backends.map((b) => b.name)));
  out.push('', 'op = encrypt + decrypt of one message; calls/op = backend requests per op; latencies on this machine, local stand-ins for the cloud services.');
  return `${out.join('\n')}\n`;
}

/* ---------------------------------------------------------------- HTML + SVG */

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const COLORS: Record<string, string> = { kms: '#1f77b4', hsm: '#d62728', cks: '#2ca02c', pkcs11: '#9467bd' };
const SERIES = ['#4c78a8', '#f58518', '#e45756'];

interface Bar {
  group: string;
  label: string;
  value: number;
  color: string;
}

/** A grouped vertical bar chart as SVG. */
function barChart(id: string, title: string, unit: string, bars: readonly Bar[], legend: ReadonlyArray<[string, string]>): string {
  const groups = [...new Set(bars.map((b) => b.group))];
  const perGroup = Math.max(1, ...groups.map((g) => bars.filter((b) => b.group === g).length));
  const barW = 18;
  const gap = 26;
  const left = 64;
  const top = 36;
  const plotH = 220;
  const groupW = perGroup * barW + gap;
  const width = Math.max(420, left + groups.length * groupW + 20);
  const height = top + plotH + 90;
  const max = Math.max(1e-9, ...bars.map((b) => b.value));
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const parts: string[] = [];
  parts.push(`<svg class="chart" id="${esc(id)}" data-bars="${bars.length}" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">`);
  parts.push(`<text x="${left}" y="20" class="title">${esc(title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    parts.push(`<line x1="${left}" x2="${width - 10}" y1="${y(v)}" y2="${y(v)}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" class="axis" text-anchor="end">${v >= 100 ? v.toFixed(0) : v.toFixed(v >= 10 ? 1 : 2)}</text>`);
  }
  parts.push(`<text x="14" y="${top + plotH / 2}" class="axis" transform="rotate(-90 14 ${top + plotH / 2})" text-anchor="middle">${esc(unit)}</text>`);
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + gap / 2;
    bars.filter((b) => b.group === g).forEach((b, bi) => {
      const h = Math.max(0, top + plotH - y(b.value));
      parts.push(`<rect class="bar" x="${x0 + bi * barW}" y="${y(b.value)}" width="${barW - 2}" height="${h}" fill="${b.color}"><title>${esc(`${g} ${b.label}: ${b.value} ${unit}`)}</title></rect>`);
    });
    const cx = x0 + (perGroup * barW) / 2;
    parts.push(`<text x="${cx}" y="${top + plotH + 14}" class="axis" text-anchor="end" transform="rotate(-35 ${cx} ${top + plotH + 14})">${esc(g)}</text>`);
  });
  legend.forEach(([name, color], i) => {
    const lx = left + i * 110;
    parts.push(`<rect x="${lx}" y="${height - 16}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${height - 7}" class="axis">${esc(name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

function htmlTable(header: string[], rows: string[][]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** A self-contained HTML report with SVG charts (throughput, latency percentiles, monthly cost). */
export function renderHtml(report: CompareReport): string {
  const names = report.backends.filter((b) => b.available).map((b) => b.name);
  const legendBackends = names.map((n): [string, string] => [n, COLORS[n] ?? '#777']);
  const throughput = barChart(
    'chart-throughput',
    'Throughput (encrypt + decrypt operations per second)',
    'ops/s',
    report.results.map((r) => ({ group: cellLabel(r), label: r.backend, value: r.opsPerSec, color: COLORS[r.backend] ?? '#777' })),
    legendBackends,
  );
  const latency = barChart(
    'chart-latency',
    'Latency per operation: p50 / p95 / p99',
    'ms',
    report.results.flatMap((r) => [
      { group: `${r.backend} ${cellLabel(r)}`, label: 'p50', value: r.p50Ms, color: SERIES[0]! },
      { group: `${r.backend} ${cellLabel(r)}`, label: 'p95', value: r.p95Ms, color: SERIES[1]! },
      { group: `${r.backend} ${cellLabel(r)}`, label: 'p99', value: r.p99Ms, color: SERIES[2]! },
    ]),
    [['p50', SERIES[0]!], ['p95', SERIES[1]!], ['p99', SERIES[2]!]],
  );
  const cost = barChart(
    'chart-cost',
    `Cost per month (USD) for ${report.cost.usage.requestsPerMonth.toLocaleString('en-US')} operations`,
    'USD',
    report.cost.rows.flatMap((r) => [
      ...(r.noCache ? [{ group: r.backend, label: 'no cache', value: r.noCache.totalPerMonth, color: SERIES[0]! }] : []),
      ...(r.withCache ? [{ group: r.backend, label: 'cache', value: r.withCache.totalPerMonth, color: SERIES[1]! }] : []),
    ]),
    [['no cache', SERIES[0]!], ['with cache', SERIES[1]!]],
  );
  const results = htmlTable(
    ['backend', 'payload', 'concurrency', 'cache', 'ops', 'ops/s', 'p50 ms', 'p95 ms', 'p99 ms', 'calls/op', 'cache hit', 'errors'],
    report.results.map((r) => [
      r.backend, formatBytes(r.payloadBytes), String(r.concurrency), r.cache ? 'on' : 'off', String(r.ops), r.opsPerSec.toFixed(1),
      r.p50Ms.toFixed(2), r.p95Ms.toFixed(2), r.p99Ms.toFixed(2), r.backendCallsPerOp.toFixed(3),
      r.cacheHitRate === null ? '-' : `${(r.cacheHitRate * 100).toFixed(1)}%`, String(r.errors),
    ]),
  );
  const costTable = htmlTable(
    COST_HEADERS,
    costCells(report.cost.rows),
  );
  const allNames = report.backends.map((b) => b.name);
  const matrix = htmlTable(
    ['', ...allNames.map((n) => BACKEND_TITLES[n] ?? n)],
    MATRIX.map((row) => [row.aspect, ...allNames.map((n) => row[n as keyof MatrixRow])]),
  );
  const p = report.cost.prices;
  const status = report.backends
    .map((b) => `<li><b>${esc(b.name)}</b>: ${b.available ? esc(`${b.title} — measured on ${LOCAL_STAND_INS[b.name] ?? b.localStandIn}`) : esc(`skipped — ${b.reason ?? ''}`)}</li>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Strongroom backend comparison</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1200px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
svg.chart{display:block;margin:10px 0;background:#fff;border:1px solid #e3e3e3}
svg .title{font-weight:600;font-size:13px}svg .axis{font-size:11px;fill:#444}svg .grid{stroke:#eee}
.note{color:#555;font-size:12px}
</style></head><body>
<h1>Strongroom backend comparison</h1>
<p class="note">Generated ${esc(report.generatedAt)} · profile ${esc(report.profile)} · ${report.durationMs} ms per cell · ${report.host.cpus} CPUs · Node ${esc(report.host.node)} (${esc(report.host.platform)}).
One operation = encrypt + decrypt of one message. Local stand-ins for the cloud services: absolute numbers are this machine's; compare the shapes.</p>
<ul>${status}</ul>
<h2>Throughput</h2>${throughput}
<h2>Latency</h2>${latency}
<h2>Measurements</h2>${results}
<h2>Cost per month</h2>${cost}${costTable}
<p class="note">Prices are inputs (${esc(p.region)}): KMS ${usd(p.kmsKeyMonth)}/key-month and ${usd(p.kmsPer10kRequests)} per 10,000 requests; CloudHSM ${usd(p.cloudHsmHour)}/HSM-hour × ${p.hoursPerMonth} h. Source: ${esc(p.source)}. Override with --prices FILE or the --price-* flags.</p>
<h2>What you get</h2>${matrix}
</body></html>
`;
}
