/**
 * Repeated trials of one comparison cell: the same cell run N times (N ≥ 5 by default), reported as
 * the median with the min–max spread, so one noisy run on a shared machine cannot decide a figure.
 * Medians are of the per-trial figures (ops/s, p50, p95, p99); backend calls per operation are the
 * total calls over the total operations.
 */
import { runCell, type CellResult, type CellSpec, type Spread, type WorkloadBackend } from './workload';

export const DEFAULT_TRIALS = 5;

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: 0, min: 0, max: 0 };
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const r3 = (n: number) => Math.round(n * 1000) / 1000;
  return { median: r3(median), min: r3(s[0]!), max: r3(s[s.length - 1]!) };
}

/** Run `trials` trials of `durationMs / trials` each and summarise them. */
export async function runTrials(backend: WorkloadBackend, spec: CellSpec, trials: number, abortSignal?: AbortSignal): Promise<CellResult> {
  const each = Math.max(10, Math.floor(spec.durationMs / trials));
  const runs: CellResult[] = [];
  for (let i = 0; i < trials && !abortSignal?.aborted; i++) runs.push(await runCell(backend, { ...spec, durationMs: each }, abortSignal));
  const ok = runs.filter((r) => r.ops > 0);
  const ops = runs.reduce((n, r) => n + r.ops, 0);
  const calls = runs.reduce((n, r) => n + r.backendCallsPerOp * r.ops, 0);
  const opsPerSec = spread(ok.map((r) => r.opsPerSec));
  const p50 = spread(ok.map((r) => r.p50Ms));
  const p95 = spread(ok.map((r) => r.p95Ms));
  const p99 = spread(ok.map((r) => r.p99Ms));
  const hits = ok.map((r) => r.cacheHitRate).filter((h): h is number => h !== null);
  const firstError = runs.find((r) => r.firstError)?.firstError;
  return {
    backend: backend.name,
    payloadBytes: spec.payloadBytes,
    concurrency: spec.concurrency,
    cache: spec.cache,
    ops,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    elapsedMs: runs.reduce((n, r) => n + r.elapsedMs, 0),
    opsPerSec: Math.round(opsPerSec.median * 10) / 10,
    p50Ms: p50.median,
    p95Ms: p95.median,
    p99Ms: p99.median,
    backendCallsPerOp: ops === 0 ? 0 : Math.round((calls / ops) * 1000) / 1000,
    cacheHitRate: spec.cache ? spread(hits).median : null,
    ...(firstError ? { firstError } : {}),
    trials: { count: runs.length, opsPerSec, p50Ms: p50, p95Ms: p95, p99Ms: p99 },
  };
}
