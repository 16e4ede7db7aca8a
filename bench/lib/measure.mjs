// Shared benchmark helpers: repeated timed trials, medians, ratios, and a plain-text table.
// Benchmarks are noisy on a shared 2-core machine: every figure is the median of several trials, and
// peers are measured in the same run so ratios compare like with like.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Run `op` repeatedly for `ms` milliseconds; returns operations per second. */
export async function rate(op, ms = 1000) {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await op();
    n++;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median of `trials` calls of an async measurement. */
export async function trials(measure, count = Number(process.env.BENCH_TRIALS ?? 5)) {
  const values = [];
  for (let i = 0; i < count; i++) values.push(await measure());
  return median(values);
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map(String));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => '| ' + r.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(cells[0]), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...cells.slice(1).map(line)].join('\n');
}

export const fmt = (n, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/**
 * Interleaved trials: each round runs every named measurement once, in an order rotated by one each
 * round (so none always runs first, on a cold cache, or last, after the others' garbage), for
 * `count` rounds. Returns name → the per-round values, in round order.
 */
export async function interleavedRounds(cases, count = Number(process.env.BENCH_TRIALS ?? 5)) {
  const values = cases.map(() => []);
  for (let round = 0; round < count; round++) {
    for (let j = 0; j < cases.length; j++) {
      const i = (round + j) % cases.length;
      values[i].push(await cases[i][1]());
    }
  }
  return new Map(cases.map(([name], i) => [name, values[i]]));
}

/** As interleavedRounds, reduced to name → median. */
export async function interleaved(cases, count = Number(process.env.BENCH_TRIALS ?? 5)) {
  const rounds = await interleavedRounds(cases, count);
  return new Map([...rounds].map(([name, v]) => [name, median(v)]));
}

/**
 * The median over rounds of a[i] / b[i]: a ratio of two contenders measured in the same round (seconds
 * apart), so a slow stretch of a shared machine moves both sides of each ratio. On a VM whose speed
 * drifts from second to second this is steadier than the ratio of the two medians.
 */
export function roundRatio(rounds, a, b) {
  const x = rounds.get(a);
  const y = rounds.get(b);
  if (!x || !y || x.length !== y.length || x.length === 0) return undefined;
  return median(x.map((v, i) => v / y[i]));
}

/** `load average 1.20, 0.95, 0.80 (2 CPUs)`: how busy the machine was (os.loadavg(), 1/5/15 minutes). */
export function loadAverage() {
  const [a, b, c] = loadavg();
  return `load average ${fmt(a, 2)}, ${fmt(b, 2)}, ${fmt(c, 2)} (${cpus().length} CPUs)`;
}

/** Two untimed passes of `run` (JIT, buffer pools, first-touch page faults), then the median of three timed by `time(run)`. */
export async function warmedMedian(run, time) {
  for (let i = 0; i < 2; i++) await run();
  const values = [];
  for (let i = 0; i < 3; i++) values.push(await time(run));
  return median(values);
}

/**
 * Run the bench file at `scriptUrl` again in a process of its own, with `env` added, and return the
 * number on its last line of output: one contender measured away from the others' garbage.
 */
export function numberFromChild(scriptUrl, env, label) {
  const r = spawnSync(process.execPath, [fileURLToPath(scriptUrl)], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 20 });
  const value = Number.parseFloat((r.stdout ?? '').trim().split('\n').at(-1));
  if (r.status !== 0 || !Number.isFinite(value)) throw new Error(`${label}: the child failed (status ${r.status}): ${(r.stderr ?? '').slice(-500)}`);
  return value;
}
