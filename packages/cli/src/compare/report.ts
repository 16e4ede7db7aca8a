/**
 * A comparison's report: its shape (what `--json` prints) and the text rendering for terminals,
 * recommendation first. The HTML page is html.ts.
 */
import type { CostLine, PriceInputs, UsageInputs } from './pricing';
import { BACKEND_TITLES, MATRIX, type MatrixRow } from './matrix';
import type { LimitInputs } from './limits';
import type { BreakEven, CapacityRow, CloudBackend, CostCurve } from './model';
import { fmtCount } from './model';
import type { Recommendation } from './recommend';
import type { LatencyRow, RttInputs } from './latency';
import type { Workload } from './workload-spec';
import type { CellResult } from './workload';
import { cellLabel, formatBytes, usd } from './labels';

export { cellLabel, formatBytes } from './labels';
export { renderHtml } from './html';

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
  readonly version: 2;
  readonly generatedAt: string;
  readonly host: { readonly node: string; readonly platform: string; readonly cpus: number };
  readonly profile: string;
  readonly durationMs: number;
  readonly trials: number;
  readonly backends: readonly BackendStatus[];
  readonly workload: Workload;
  readonly recommendation: Recommendation;
  readonly model: {
    readonly prices: PriceInputs;
    readonly limits: LimitInputs;
    /** Cost over volume: [without the cache, with it]. */
    readonly curves: readonly CostCurve[];
    readonly breakEvens: readonly BreakEven[];
    readonly capacity: readonly CapacityRow[];
    readonly backends: readonly CloudBackend[];
  };
  readonly latency: { readonly rtt: RttInputs; readonly rows: readonly LatencyRow[] };
  readonly results: readonly CellResult[];
  readonly cost: { readonly usage: UsageInputs; readonly prices: PriceInputs; readonly rows: readonly CostRow[] };
  readonly matrix: readonly MatrixRow[];
}


export function textTable(header: string[], rows: string[][], rightAlign: boolean[] = []): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (rightAlign[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}


/** The measurement table alone (what `npm start` prints). */
export function renderResultsTable(results: readonly CellResult[]): string[] {
  return textTable(
    ['backend', 'payload', 'conc', 'cache', 'ops', 'ops/s', 'p50 ms', 'p95 ms', 'p99 ms', 'calls/op', 'cache hit', 'errors', 'ops/s min–max', 'trials'],
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
      r.trials ? `${r.trials.opsPerSec.min.toFixed(1)}–${r.trials.opsPerSec.max.toFixed(1)}` : '-',
      String(r.trials?.count ?? 1),
    ]),
    [false, true, true, false, true, true, true, true, true, true, true, true, true, true],
  );
}

export const COST_HEADERS = ['backend', 'calls/op', 'per month (no cache)', 'calls/op (cache)', 'per month (cache)', 'what'];

/** The cost table's cells, shared by the text and the HTML report. */
export function costCells(rows: CompareReport['cost']['rows']): string[][] {
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
    `cost per month from the measured calls, for ${usage.requestsPerMonth.toLocaleString('en-US')} measured operations (encrypt + decrypt), ${usage.keys} ${usage.keys === 1 ? 'key' : 'keys'}, ${usage.hsmCount} HSMs`,
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

function requirementsText(w: Workload): string {
  const r = w.requirements;
  const list = [
    r.fips140Level3 ? 'FIPS 140-3 Level 3' : '',
    r.singleTenancy ? 'single tenancy' : '',
    r.keyHolder === 'own-hsm' ? 'key material in your own HSMs' : r.keyHolder === 'only-us' ? 'keys usable by you alone' : '',
    r.pkcs11 ? 'PKCS#11/JCE' : '',
    r.awsIntegration ? 'AWS service integration' : '',
  ].filter(Boolean);
  return list.length ? list.join(', ') : 'none';
}

export function workloadText(w: Workload): string {
  const cache = w.cache.enabled ? `cache on (${(w.cache.hitRate * 100).toFixed(1)} % hits)` : 'cache off';
  return `peak ${w.peakOpsPerSecond.toLocaleString('en-US')} ops/s, ${fmtCount(w.opsPerMonth)} ops/month, ${formatBytes(w.messageBytes)} messages, ${cache}, ${w.keys} ${w.keys === 1 ? 'key' : 'keys'}, ${w.keyType}, ${w.regions.join(' + ')}; requirements: ${requirementsText(w)}`;
}

export const SHORT_NAMES: Readonly<Record<string, string>> = { kms: 'KMS', hsm: 'HSM cluster', cks: 'custom key store', pkcs11: 'PKCS#11' };

/** The decision block: recommendation, reasons, what would change it, cost, break-even, capacity. */
export function renderDecision(report: CompareReport): string[] {
  const rec = report.recommendation;
  const out: string[] = [`RECOMMENDATION — ${rec.headline}`, '  why:', ...rec.reasons.map((r) => `    - ${r}`), '  what would change it:', ...rec.whatWouldChangeIt.map((r) => `    - ${r}`)];
  out.push('', `your workload: ${workloadText(report.workload)}`, '');
  out.push('cost per month at your volume (model; one operation = one message encrypted or decrypted):');
  out.push(
    ...textTable(
      ['backend', 'total', 'keys', 'requests', 'HSMs', 'ok?', 'what'],
      rec.assessments.map((a) => [SHORT_NAMES[a.backend]!, usd(a.cost.totalPerMonth), usd(a.cost.keysPerMonth), usd(a.cost.requestsPerMonth), usd(a.cost.hsmsPerMonth), a.eligible ? 'yes' : 'no', a.cost.notes]),
      [false, true, true, true, true, false, false],
    ).map((l) => `  ${l}`),
  );
  const be = report.model.breakEvens.filter((b) => b.between[0] === 'kms' || b.between[1] === 'kms' || b.between.join() === 'hsm,cks');
  out.push('', 'break-even points (monthly operations where two backends cost the same):');
  if (be.length === 0) out.push('  none between 10 k and 100 B operations a month');
  for (const b of be) out.push(`  ${b.cache ? 'with cache   ' : 'without cache'}  ${SHORT_NAMES[b.between[0]]} = ${SHORT_NAMES[b.between[1]]} at ${fmtCount(b.opsPerMonth)} ops/month (${usd(b.costPerMonth)}/month); above it ${SHORT_NAMES[b.cheaperAbove]} is cheaper`);
  out.push('', 'capacity at your peak (per Region):');
  for (const c of report.model.capacity) {
    out.push(`  ${SHORT_NAMES[c.backend]!.padEnd(16)} ${c.peakBackendRps.toLocaleString('en-US', { maximumFractionDigits: 1 })}/s ${c.limitRps === null ? `→ ${c.hsms} HSMs (${c.limit})` : `of ${c.limitRps.toLocaleString('en-US')}/s (${c.limit})${c.fits ? '' : ' — OVER'}`}${c.backend === 'cks' ? `; ${c.hsms} HSMs` : ''}`);
  }
  const local = report.results.filter((r) => r.ops > 0);
  if (local.length) {
    const best = (b: string) => Math.max(0, ...local.filter((r) => r.backend === b).map((r) => r.opsPerSec));
    out.push(`  measured here (this machine's shape, not the cloud's): ${[...new Set(local.map((r) => r.backend))].map((b) => `${b} up to ${best(b).toLocaleString('en-US')} ops/s`).join(', ')}`);
  }
  return out;
}

export function renderLatency(report: CompareReport): string[] {
  const rows = report.latency.rows;
  if (rows.length === 0) return [];
  return [
    `latency per operation: local p50 (median, min–max of ${report.trials} trials) + calls × assumed round trip = what the cloud adds`,
    ...textTable(
      ['backend', 'cell', 'local p50 ms', 'min–max', 'calls/op', 'rtt ms', '+cloud ms', '≈ cloud p50 ms'],
      rows.map((r) => [r.backend, r.cell, r.localP50Ms.median.toFixed(2), `${r.localP50Ms.min.toFixed(2)}–${r.localP50Ms.max.toFixed(2)}`, r.callsPerOp.toFixed(3), String(r.rttMs), r.addedMs.toFixed(2), r.estimatedCloudP50Ms.toFixed(2)]),
      [false, false, true, true, true, true, true, true],
    ),
    `round trips: ${report.latency.rtt.source}`,
  ];
}

export function renderSources(report: CompareReport): string[] {
  return ['sources (override with --prices FILE and --limits FILE):', ...[...report.model.prices.sources, ...report.model.limits.sources].map((s) => `  ${s.what} — ${s.url}, read ${s.readOn}${s.note ? ` (${s.note})` : ''}`)];
}

/** The full text report: the decision first, then the measurements and the matrix. */
export function renderText(report: CompareReport): string {
  const out: string[] = [...renderDecision(report), ''];
  out.push(`measured — ${report.generatedAt} — profile ${report.profile}, ${report.durationMs} ms per cell in ${report.trials} trials, ${report.host.cpus} CPUs, Node ${report.host.node}`);
  for (const b of report.backends) out.push(`  ${b.name.padEnd(7)} ${b.available ? b.localStandIn : `skipped: ${b.reason}`}`);
  out.push('', ...renderResultsTable(report.results), '', ...renderLatency(report), '', ...renderCostTable(report), '', ...renderMatrix(report.backends.map((b) => b.name)), '', ...renderSources(report));
  out.push('', 'measured op = encrypt + decrypt of one message; calls/op = backend requests per measured op; latencies on this machine, local stand-ins for the cloud services.');
  return `${out.join('\n')}\n`;
}
