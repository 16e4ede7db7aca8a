/**
 * The comparison as a self-contained HTML page (inline CSS and SVG, no scripts, no external
 * requests): the recommendation first, then cost over volume with break-even points, capacity
 * against the peak, this machine's throughput and latency (cached and uncached apart, log scales,
 * trial spread as whiskers), the tables and the qualitative matrix. Charts are responsive SVG
 * (charts.ts); wide tables scroll inside their own box, so the page never scrolls sideways.
 */
import { barChart, CHART_CSS, esc, lineChart, type BarGroup, type Series } from './charts';
import { cellLabel, formatBytes, usd } from './labels';
import { BACKEND_TITLES, LOCAL_STAND_INS, MATRIX, type MatrixRow } from './matrix';
import { fmtCount, type CloudBackend } from './model';
import { COST_HEADERS, costCells, SHORT_NAMES, workloadText, type CompareReport } from './report';

const COLORS: Record<string, string> = { kms: '#1f77b4', hsm: '#d62728', cks: '#2ca02c', pkcs11: '#9467bd' };
const color = (b: string) => COLORS[b] ?? '#777';

function table(header: readonly string[], rows: readonly (readonly string[])[], cls = ''): string {
  return `<div class="scroll"><table${cls ? ` class="${cls}"` : ''}><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table></div>`;
}

const list = (items: readonly string[]) => `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>`;

function costCharts(report: CompareReport): string {
  const w = report.workload;
  return report.model.curves
    .map((curve) => {
      const series: Series[] = report.model.backends.map((b) => ({ name: SHORT_NAMES[b]!, color: color(b), ...(b === 'cks' ? { dash: '6 4' } : {}), points: curve.points.map((p) => [p.opsPerMonth, Math.max(0.01, p.cost[b])] as const) }));
      const markers = report.model.breakEvens
        .filter((b) => b.cache === curve.cache && (b.between.includes('kms') || b.between.join() === 'hsm,cks'))
        .map((b) => ({ x: b.opsPerMonth, y: Math.max(0.01, b.costPerMonth), color: '#000', label: `${SHORT_NAMES[b.between[0]]} = ${SHORT_NAMES[b.between[1]]} at ${fmtCount(b.opsPerMonth)}` }));
      const id = curve.cache ? 'chart-cost-cached' : 'chart-cost-uncached';
      const title = curve.cache ? `Monthly cost with a data-key cache (${(curve.hitRate * 100).toFixed(1)} % hits)` : 'Monthly cost without a data-key cache';
      return lineChart({
        id,
        title,
        subtitle: `peak scales with volume (yours: ${w.peakOpsPerSecond.toLocaleString('en-US')}/s at ${fmtCount(w.opsPerMonth)}/month); ○ = break-even`,
        xLabel: 'operations per month',
        yLabel: 'USD per month',
        series,
        markers,
        vline: { x: w.opsPerMonth, label: 'you' },
      });
    })
    .join('');
}

function capacityChart(report: CompareReport): string {
  const groups: BarGroup[] = report.model.capacity.map((c) => {
    const cap = c.limitRps ?? (c.hsms - report.model.limits.spareHsms) * report.model.limits.hsmOpsPerSecondPerHsm;
    return {
      label: SHORT_NAMES[c.backend]!,
      bars: [
        { label: 'your peak', value: Math.max(0.01, c.peakBackendRps), color: '#f58518', note: `${c.peakBackendRps.toLocaleString('en-US', { maximumFractionDigits: 1 })}/s at your peak` },
        { label: 'limit', value: cap, color: c.fits ? '#4c78a8' : '#e45756', note: c.limitRps === null ? `${cap.toLocaleString('en-US')}/s with ${c.hsms} HSMs` : `${cap.toLocaleString('en-US')}/s ${c.adjustable ? 'quota' : 'fixed'}${c.fits ? '' : ' — over'}` },
      ],
    };
  });
  const local = report.results.filter((r) => r.ops > 0);
  const names = [...new Set(local.map((r) => r.backend))];
  if (names.length) {
    groups.push({
      label: 'this machine (best cell)',
      bars: names.map((b) => {
        const v = Math.max(...local.filter((r) => r.backend === b).map((r) => r.opsPerSec));
        return { label: b, value: Math.max(0.01, v), color: color(b), note: `${b} ${v.toLocaleString('en-US')} ops/s here` };
      }),
    });
  }
  return barChart({
    id: 'chart-capacity',
    title: 'Capacity against your peak (requests per second, per Region)',
    subtitle: 'KMS quota and store limit from the AWS docs; HSMs sized with one spare; local = this machine',
    unit: 'requests or HSM operations per second',
    groups,
    legend: [['your peak', '#f58518'], ['limit / capacity', '#4c78a8'], ['over the limit', '#e45756']],
  });
}

function throughputCharts(report: CompareReport): string {
  return [false, true]
    .map((cache) => {
      const rows = report.results.filter((r) => r.cache === cache && r.ops > 0);
      if (rows.length === 0) return '';
      const cells = [...new Set(rows.map((r) => cellLabel(r)))];
      const groups: BarGroup[] = cells.map((cell) => ({
        label: cell,
        bars: rows.filter((r) => cellLabel(r) === cell).map((r) => ({ label: r.backend, value: Math.max(0.01, r.opsPerSec), color: color(r.backend), ...(r.trials ? { min: r.trials.opsPerSec.min, max: r.trials.opsPerSec.max } : {}), note: `${r.backend} ${r.opsPerSec.toLocaleString('en-US')}` })),
      }));
      const names = [...new Set(rows.map((r) => r.backend))];
      return barChart({
        id: cache ? 'chart-throughput-cached' : 'chart-throughput-uncached',
        title: `Throughput on this machine, ${cache ? 'with' : 'without'} the cache`,
        subtitle: `operations (encrypt + decrypt) per second; median of ${report.trials} trials, whiskers min–max`,
        unit: 'ops/s',
        groups,
        legend: names.map((n) => [n, color(n)] as const),
      });
    })
    .join('');
}

function latencyCharts(report: CompareReport): string {
  return [false, true]
    .map((cache) => {
      const rows = report.latency.rows.filter((r) => r.cache === cache);
      if (rows.length === 0) return '';
      const groups: BarGroup[] = rows.map((r) => ({
        label: `${r.backend} ${r.cell.replace(' cache', '')}`,
        bars: [
          { label: 'local p50', value: Math.max(0.001, r.localP50Ms.median), min: Math.max(0.001, r.localP50Ms.min), max: Math.max(0.001, r.localP50Ms.max), color: '#4c78a8', note: `${r.localP50Ms.median.toFixed(2)} ms here` },
          { label: 'with the cloud', value: Math.max(0.001, r.estimatedCloudP50Ms), color: '#f58518', note: `≈ ${r.estimatedCloudP50Ms.toFixed(2)} ms (+${r.addedMs.toFixed(2)})` },
        ],
      }));
      return barChart({
        id: cache ? 'chart-latency-cached' : 'chart-latency-uncached',
        title: `Latency per operation, ${cache ? 'with' : 'without'} the cache`,
        subtitle: `p50 ms: median of ${report.trials} trials (whiskers min–max) + calls × assumed round trip`,
        unit: 'ms',
        groups,
        legend: [['measured here (p50)', '#4c78a8'], ['+ assumed network round trips', '#f58518']],
      });
    })
    .join('');
}

/** A self-contained HTML report. */
export function renderHtml(report: CompareReport): string {
  const rec = report.recommendation;
  const w = report.workload;
  const allNames = report.backends.map((b) => b.name);
  const status = report.backends
    .map((b) => `<li><b>${esc(b.name)}</b>: ${b.available ? esc(`${b.title} — measured on ${LOCAL_STAND_INS[b.name] ?? b.localStandIn}`) : esc(`skipped — ${b.reason ?? ''}`)}</li>`)
    .join('');
  const costNow = table(
    ['backend', 'per month', 'keys', 'requests', 'HSMs', 'meets every requirement', 'what'],
    rec.assessments.map((a) => [SHORT_NAMES[a.backend]!, usd(a.cost.totalPerMonth), usd(a.cost.keysPerMonth), usd(a.cost.requestsPerMonth), usd(a.cost.hsmsPerMonth), a.eligible ? 'yes' : `no — ${a.blockers.join('; ')}`, a.cost.notes]),
  );
  const be = report.model.breakEvens.filter((b) => b.between.includes('kms') || b.between.join() === 'hsm,cks');
  const breakEvenTable = be.length
    ? table(['cache', 'between', 'at ops/month', 'cost then', 'cheaper above'], be.map((b) => [b.cache ? 'on' : 'off', `${SHORT_NAMES[b.between[0]]} / ${SHORT_NAMES[b.between[1]]}`, fmtCount(b.opsPerMonth), usd(b.costPerMonth), SHORT_NAMES[b.cheaperAbove]!]))
    : '<p>No break-even between 10 k and 100 B operations a month.</p>';
  const cap = table(
    ['backend', 'at your peak /s', 'limit /s', 'limit', 'HSMs per Region', 'fits'],
    report.model.capacity.map((c) => [SHORT_NAMES[c.backend]!, c.peakBackendRps.toLocaleString('en-US', { maximumFractionDigits: 1 }), c.limitRps === null ? '—' : c.limitRps.toLocaleString('en-US'), c.limit, c.hsms ? String(c.hsms) : '—', c.fits ? 'yes' : c.adjustable ? 'needs a quota increase' : 'no']),
  );
  const published = table(
    ['instance', 'operation', ...Object.keys(report.model.limits.published[0]?.byClusterSize ?? {}).map((n) => `${n}-HSM cluster ops/s`)],
    report.model.limits.published.map((p) => [p.instance, p.operation, ...Object.values(p.byClusterSize).map((v) => v.toLocaleString('en-US'))]),
  );
  const results = table(
    ['backend', 'payload', 'conc.', 'cache', 'ops', 'ops/s', 'min–max', 'p50 ms', 'p95 ms', 'p99 ms', 'calls/op', 'cache hit', 'errors'],
    report.results.map((r) => [
      r.backend, formatBytes(r.payloadBytes), String(r.concurrency), r.cache ? 'on' : 'off', String(r.ops), r.opsPerSec.toFixed(1),
      r.trials ? `${r.trials.opsPerSec.min.toFixed(1)}–${r.trials.opsPerSec.max.toFixed(1)}` : '-',
      r.p50Ms.toFixed(2), r.p95Ms.toFixed(2), r.p99Ms.toFixed(2), r.backendCallsPerOp.toFixed(3),
      r.cacheHitRate === null ? '-' : `${(r.cacheHitRate * 100).toFixed(1)}%`, String(r.errors),
    ]),
  );
  const measuredCost = table(COST_HEADERS, costCells(report.cost.rows));
  const matrix = table(['', ...allNames.map((n) => BACKEND_TITLES[n] ?? n)], MATRIX.map((row) => [row.aspect, ...allNames.map((n) => row[n as keyof MatrixRow])]), 'matrix');
  const sources = [...report.model.prices.sources, ...report.model.limits.sources]
    .map((s) => `<li>${esc(s.what)} — <span class="src">${esc(s.url)}</span>, read ${esc(s.readOn)}${s.note ? ` <i>(${esc(s.note)})</i>` : ''}</li>`)
    .join('');
  const choice: CloudBackend = rec.choice;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Strongroom backend comparison</title>
<style>
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1200px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}h3{font-size:15px;margin:18px 0 4px}
.scroll{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
table.matrix td{min-width:12em}
${CHART_CSS}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,560px),1fr));gap:0 16px}
.rec{border:2px solid ${color(choice)};border-radius:6px;padding:8px 16px;background:#fafcff}
.rec h2{margin-top:6px}.note{color:#555;font-size:12px}.src{word-break:break-all}
</style></head><body>
<h1>Strongroom backend comparison</h1>
<section id="recommendation" class="rec">
<h2>${esc(rec.headline)}</h2>
<p class="note">For your workload: ${esc(workloadText(w))}.</p>
<h3>Why</h3>${list(rec.reasons)}
<h3>What would change it</h3>${list(rec.whatWouldChangeIt)}
</section>
<h2>Cost versus volume</h2>
<div class="charts">${costCharts(report)}</div>
<h3>At your volume</h3>${costNow}
<h3>Break-even points</h3>${breakEvenTable}
<h2>Capacity</h2>
${capacityChart(report)}
${cap}
<h3>CloudHSM throughput as published</h3>${published}
<p class="note">No AES key-wrap figure is published; HSMs are sized at ${report.model.limits.hsmOpsPerSecondPerHsm.toLocaleString('en-US')} envelope operations per second per HSM (an assumption, override with --limits) plus ${report.model.limits.spareHsms} spare, at least ${report.model.limits.minHsms}. The local figures are this machine's shape, not the cloud's.</p>
<h2>Measured on this machine</h2>
<p class="note">Generated ${esc(report.generatedAt)} · profile ${esc(report.profile)} · ${report.durationMs} ms per cell in ${report.trials} trials · ${report.host.cpus} CPUs · Node ${esc(report.host.node)} (${esc(report.host.platform)}). One measured operation = encrypt + decrypt of one message, against local stand-ins for the cloud services.</p>
<ul>${status}</ul>
<div class="charts">${throughputCharts(report)}</div>
<h3>Latency</h3>
<div class="charts">${latencyCharts(report)}</div>
<p class="note">Round trips: ${esc(report.latency.rtt.source)}. Override with --rtt kms=5ms,hsm=1ms.</p>
<h3>Measurements</h3>${results}
<h3>Cost from the measured calls</h3>${measuredCost}
<p class="note">Prices are inputs (${esc(report.cost.prices.region)}). Source: ${esc(report.cost.prices.source)}. Override with --prices FILE or the --price-* flags.</p>
<h2>What you get</h2>${matrix}
<h2>Sources</h2><ul>${sources}</ul>
</body></html>
`;
}
