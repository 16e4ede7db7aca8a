/**
 * Responsive SVG charts for the comparison report: every chart has a fixed `viewBox` and
 * `width="100%"` with no pixel width, so it scales to its container (SVG 2, §8.2 "The viewBox
 * attribute"; https://www.w3.org/TR/SVG2/coords.html#ViewBoxAttribute). Values that span orders of
 * magnitude are drawn on log scales, with ticks at powers of ten.
 *
 * - `barChart`: horizontal bars, one row per label (long labels fit on the left, any number of rows
 *   grows the chart downwards, never sideways), optional min–max whiskers for trial spread.
 * - `lineChart`: log–log lines with marked points (break-even, "you are here").
 */

export const VIEW_W = 720;

export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const f1 = (n: number) => Math.round(n * 10) / 10;

/** A short tick label: 1, 10, 100, 1k, 10k, 1M, 1B; 0.1, 0.01. */
export function tickLabel(v: number, unit = ''): string {
  const u = unit === '$' ? '$' : '';
  const s = v >= 1e9 ? `${v / 1e9}B` : v >= 1e6 ? `${v / 1e6}M` : v >= 1e3 ? `${v / 1e3}k` : `${+v.toPrecision(3)}`;
  return `${u}${s}`;
}

/** Log scale over [lo, hi] rounded out to powers of ten. */
export function logScale(values: readonly number[], from: number, to: number): { map: (v: number) => number; ticks: number[]; lo: number; hi: number } {
  const pos = values.filter((v) => v > 0 && Number.isFinite(v));
  const lo = 10 ** Math.floor(Math.log10(pos.length ? Math.min(...pos) : 1));
  let hi = 10 ** Math.ceil(Math.log10(pos.length ? Math.max(...pos) : 10));
  if (hi <= lo) hi = lo * 10;
  const span = Math.log10(hi) - Math.log10(lo);
  const map = (v: number) => from + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span) * (to - from);
  const ticks: number[] = [];
  for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e++) ticks.push(10 ** e);
  return { map, ticks, lo, hi };
}

export interface Bar {
  readonly label: string;
  readonly value: number;
  readonly color: string;
  readonly min?: number;
  readonly max?: number;
  /** Text after the bar (defaults to the value). */
  readonly note?: string;
}

export interface BarGroup {
  readonly label: string;
  readonly bars: readonly Bar[];
}

export interface BarChartSpec {
  readonly id: string;
  readonly title: string;
  readonly subtitle?: string;
  readonly unit: string;
  readonly groups: readonly BarGroup[];
  readonly legend: ReadonlyArray<readonly [string, string]>;
  /** Vertical reference lines (e.g. a quota). */
  readonly marks?: ReadonlyArray<{ readonly value: number; readonly label: string; readonly color: string }>;
}

/** A horizontal bar chart on a log scale. */

/** The opening of every chart: a responsive SVG element with its accessible title, title and subtitle. */
function chartHead(spec: { id: string; title: string; subtitle?: string | undefined }, height: number): string[] {
  const parts = [`<svg class="chart" id="${esc(spec.id)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${VIEW_W} ${height}" width="100%" preserveAspectRatio="xMinYMin meet" role="img" aria-labelledby="${esc(spec.id)}-t">`];
  parts.push(`<title id="${esc(spec.id)}-t">${esc(spec.title)}</title>`);
  parts.push(`<text x="12" y="22" class="title">${esc(spec.title)}</text>`);
  if (spec.subtitle) parts.push(`<text x="12" y="40" class="sub">${esc(spec.subtitle)}</text>`);
  return parts;
}

export function barChart(spec: BarChartSpec): string {
  const left = 190;
  const right = VIEW_W - 70;
  const top = spec.subtitle ? 58 : 42;
  const barH = 16;
  const gap = 3;
  const groupGap = 12;
  const values = spec.groups.flatMap((g) => g.bars.flatMap((b) => [b.value, b.max ?? b.value, b.min ?? b.value])).concat((spec.marks ?? []).map((m) => m.value));
  const x = logScale(values, left, right);
  const rows = spec.groups.reduce((n, g) => n + g.bars.length, 0);
  const plotH = rows * (barH + gap) + spec.groups.length * groupGap;
  const height = top + plotH + 56;
  const parts = chartHead(spec, height);
  for (const t of x.ticks) {
    const tx = f1(x.map(t));
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${top - 4}" y2="${top + plotH}" class="grid"/>`);
    parts.push(`<text x="${tx}" y="${top + plotH + 14}" class="axis" text-anchor="middle">${tickLabel(t)}</text>`);
  }
  parts.push(`<text x="${(left + right) / 2}" y="${top + plotH + 30}" class="axis" text-anchor="middle">${esc(spec.unit)} (log scale)</text>`);
  let y = top;
  for (const g of spec.groups) {
    parts.push(`<text x="${left - 8}" y="${y + barH - 3}" class="axis" text-anchor="end">${esc(g.label)}</text>`);
    for (const b of g.bars) {
      const w = Math.max(1, x.map(b.value) - left);
      parts.push(`<rect class="bar" x="${left}" y="${y}" width="${f1(w)}" height="${barH}" fill="${b.color}"><title>${esc(`${g.label} ${b.label}: ${b.note ?? b.value}`)}</title></rect>`);
      if (b.min !== undefined && b.max !== undefined && b.max > b.min) {
        const x1 = f1(x.map(b.min));
        const x2 = f1(x.map(b.max));
        const cy = y + barH / 2;
        parts.push(`<path class="whisker" d="M${x1} ${cy}H${x2}M${x1} ${cy - 4}V${cy + 4}M${x2} ${cy - 4}V${cy + 4}"/>`);
      }
      const label = esc(b.note ?? tickLabel(b.value));
      // The label starts after the bar and its whisker; one that would run past the right edge goes inside the bar.
      const end = Math.max(left + w, b.max !== undefined ? x.map(b.max) : 0);
      const inside = end + 6 + (b.note ?? tickLabel(b.value)).length * 6.8 > VIEW_W - 4;
      parts.push(inside ? `<text x="${f1(left + w - 4)}" y="${y + barH - 3}" class="val in" text-anchor="end">${label}</text>` : `<text x="${f1(end + 6)}" y="${y + barH - 3}" class="val">${label}</text>`);
      y += barH + gap;
    }
    y += groupGap;
  }
  for (const m of spec.marks ?? []) {
    const mx = f1(x.map(m.value));
    parts.push(`<line x1="${mx}" x2="${mx}" y1="${top - 6}" y2="${top + plotH}" stroke="${m.color}" stroke-dasharray="4 3" stroke-width="1.5"/>`);
  }
  spec.legend.forEach(([name, color], i) => {
    const lx = 12 + i * 175;
    parts.push(`<rect x="${lx}" y="${height - 16}" width="10" height="10" fill="${color}"/><text x="${lx + 14}" y="${height - 7}" class="axis">${esc(name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly dash?: string;
  readonly points: ReadonlyArray<readonly [number, number]>;
}

export interface Marker {
  readonly x: number;
  readonly y: number;
  readonly label: string;
  readonly color: string;
}

export interface LineChartSpec {
  readonly id: string;
  readonly title: string;
  readonly subtitle?: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly markers?: readonly Marker[];
  /** A vertical line, e.g. the reader's monthly volume. */
  readonly vline?: { readonly x: number; readonly label: string };
}

/** A log–log line chart. */
export function lineChart(spec: LineChartSpec): string {
  const left = 64;
  const right = VIEW_W - 16;
  const top = spec.subtitle ? 60 : 44;
  const plotH = 250;
  const legendRows = Math.ceil(spec.series.length / 3);
  const height = top + plotH + 44 + legendRows * 18;
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p[1]));
  const x = logScale(xs, left, right);
  const yScale = logScale(ys, top + plotH, top);
  const parts = chartHead(spec, height);
  for (const t of x.ticks) {
    const tx = f1(x.map(t));
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${top}" y2="${top + plotH}" class="grid"/><text x="${tx}" y="${top + plotH + 14}" class="axis" text-anchor="middle">${tickLabel(t)}</text>`);
  }
  for (const t of yScale.ticks) {
    const ty = f1(yScale.map(t));
    parts.push(`<line x1="${left}" x2="${right}" y1="${ty}" y2="${ty}" class="grid"/><text x="${left - 6}" y="${ty + 4}" class="axis" text-anchor="end">${tickLabel(t, '$')}</text>`);
  }
  parts.push(`<text x="${(left + right) / 2}" y="${top + plotH + 30}" class="axis" text-anchor="middle">${esc(spec.xLabel)} (log scale)</text>`);
  parts.push(`<text x="12" y="${top + plotH / 2}" class="axis" text-anchor="middle" transform="rotate(-90 12 ${top + plotH / 2})">${esc(spec.yLabel)}</text>`);
  if (spec.vline) {
    const vx = f1(x.map(spec.vline.x));
    parts.push(`<line x1="${vx}" x2="${vx}" y1="${top}" y2="${top + plotH}" stroke="#555" stroke-dasharray="2 3"/><text x="${vx + 4}" y="${top + 12}" class="axis">${esc(spec.vline.label)}</text>`);
  }
  for (const s of spec.series) {
    const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${f1(x.map(p[0]))} ${f1(yScale.map(p[1]))}`).join('');
    parts.push(`<path class="line" d="${d}" stroke="${s.color}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}><title>${esc(s.name)}</title></path>`);
  }
  for (const m of spec.markers ?? []) {
    const mx = f1(x.map(m.x));
    const my = f1(yScale.map(m.y));
    parts.push(`<circle class="marker" cx="${mx}" cy="${my}" r="5" fill="#fff" stroke="${m.color}" stroke-width="2"><title>${esc(m.label)}</title></circle>`);
  }
  spec.series.forEach((s, i) => {
    const lx = 12 + (i % 3) * 235;
    const ly = top + plotH + 48 + Math.floor(i / 3) * 18;
    parts.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/><text x="${lx + 28}" y="${ly}" class="axis">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/** The CSS the charts need (inline in the report). */
export const CHART_CSS =
  'svg.chart{display:block;width:100%;max-width:960px;height:auto;margin:10px 0;background:#fff;border:1px solid #e3e3e3}' +
  'svg .title{font-weight:600;font-size:16px;fill:#222}svg .sub{font-size:12.5px;fill:#555}svg .axis{font-size:12.5px;fill:#444}svg .val{font-size:12px;fill:#333}svg .val.in{fill:#fff}' +
  'svg .grid{stroke:#eee}svg .whisker{stroke:#222;stroke-width:1.2;fill:none}svg .line{fill:none;stroke-width:2.2}';
