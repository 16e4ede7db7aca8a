/**
 * Writes the results table of docs/runtimes.md (runtime × version × what was run × result) from one
 * run of runtimes.test.ts, between the two marker comments; the prose around it is kept.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface Outcome {
  name: string;
  label: string;
  version: string;
  /** Which file `@strongroom/core` resolved to in that runtime (its export condition). */
  entry?: string;
  checks: { name: string; ok: boolean; detail: string }[];
  cross: { name: string; ok: boolean; detail: string }[];
  memory?: { kind: string; peak?: number; growth?: number; peakRss?: number };
  problem?: string;
  /** Checks that failed for a known, explained reason (KNOWN_GAPS in runtimes.test.ts). */
  gaps?: { names: string[]; why: string };
}

const START = '<!-- runtimes-table:start (written by test/runtimes/runtimes.test.ts) -->';
const END = '<!-- runtimes-table:end -->';
const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function entryOf(o: Outcome): string {
  if (!o.entry) return '—';
  const m = /@strongroom\/core\/(dist\/[^?#]+)/.exec(o.entry);
  return m ? `\`${m[1]}\`` : cell(o.entry);
}

function ran(o: Outcome): string {
  if (o.checks.every((c) => c.name === 'load the bundle')) return o.checks.length > 0 ? 'bundled; not loadable' : '—';
  const vectors = o.checks.filter((c) => c.name.startsWith('ESDK'));
  const parts = [
    `${o.checks.filter((c) => c.name.startsWith('raw ') || c.name.startsWith('two providers')).length} provider checks`,
    `${o.checks.filter((c) => c.name.startsWith('sizes') || c.name.startsWith('non-framed')).length} size checks`,
    vectors.length > 0 ? `ESDK vectors in ${vectors.length} suite × key-kind groups (${vectors.reduce((n, c) => n + (Number.parseInt(c.detail, 10) || 0), 0)} decrypted)` : undefined,
    o.memory?.growth !== undefined
      ? `64 MiB stream (${o.memory.kind}: +${mib(o.memory.growth)}${o.memory.peakRss !== undefined ? `, peak RSS ${mib(o.memory.peakRss)}` : ''})`
       : o.checks.some((c) => c.name.startsWith('64 MiB')) ? `64 MiB stream (${o.memory?.kind ?? 'memory not exposed'})` : undefined,
    poolRan(o),
    o.cross.length > 0 ? `opened ${o.cross.filter((c) => c.ok).length}/${o.cross.length} cross-runtime messages` : undefined,
  ];
  return parts.filter(Boolean).join('; ');
}

/** What the worker pool check did: a pooled round trip, or the documented UNSUPPORTED where there are no workers. */
function poolRan(o: Outcome): string | undefined {
  const pool = o.checks.find((c) => c.name.startsWith('worker pool'));
  if (!pool) return undefined;
  if (!pool.ok) return 'worker pool';
  return pool.detail.startsWith('no workers') ? 'worker pool: UNSUPPORTED (no Web Workers), as documented' : 'worker pool round trips and tampered frame';
}

function result(o: Outcome): string {
  if (o.problem) return `**FAIL**: ${cell(o.problem)}`;
  const all = [...o.checks, ...o.cross];
  const known = new Set(o.gaps?.names ?? []);
  const failed = all.filter((c) => !c.ok && !known.has(c.name));
  const passed = all.filter((c) => c.ok).length;
  if (o.checks.length === 0) return '**not run**';
  if (failed.length === 0 && passed === 0 && known.size > 0) return `**not run**, known gap: ${cell(o.gaps!.why)}`;
  if (failed.length === 0 && known.size > 0) return `pass ${passed}/${all.length}; **known gap** (${known.size} checks): ${cell(o.gaps!.why)}`;
  if (failed.length === 0) return `pass (${passed}/${all.length})`;
  return `**FAIL** ${failed.length}/${o.checks.length + o.cross.length}: ${cell(failed[0]!.name)}: ${cell(failed[0]!.detail.split('\n')[0]!.slice(0, 160))}`;
}

export function renderTable(outcomes: readonly Outcome[], when = new Date()): string {
  const rows = outcomes.map((o) => `| ${o.label} | ${cell(o.version || '—')} | ${entryOf(o)} | ${ran(o)} | ${result(o)} |`);
  return [
    START,
    `Run of ${when.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${process.platform}-${process.arch}:`,
    '',
    '| runtime | version | core entry loaded | what was run | result |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    END,
  ].join('\n');
}

export function writeReport(file: string, outcomes: readonly Outcome[]): void {
  const table = renderTable(outcomes);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : `# Runtimes\n\n${START}\n${END}\n`;
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  const next = start >= 0 && end > start ? text.slice(0, start) + table + text.slice(end + END.length) : `${text.trimEnd()}\n\n${table}\n`;
  writeFileSync(file, next);
}
