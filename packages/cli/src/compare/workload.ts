/**
 * The comparison workload: the same envelope operation through every backend — encrypt a payload
 * with a fresh message (data key from the backend, or from a data-key cache) and decrypt it again,
 * as an application would — for a fixed time at a given concurrency. Measures per-operation latency
 * (encrypt + decrypt), throughput, backend requests per operation and the cache hit rate.
 *
 * This is a measurement tool (run on demand), not a test: nothing here asserts timings.
 */
import { randomBytes } from 'node:crypto';
import { createClient, createDataKeyCache, StrongroomError, type KeyProvider } from '@strongroom/core';

/** A key provider under measurement, with a counter of the backend requests it made. */
export interface WorkloadBackend {
  readonly name: string;
  readonly provider: KeyProvider;
  /** Backend requests made so far (KMS API calls, HSM operations). */
  backendCalls(): number;
}

/** One measured cell: payload size, concurrency, data-key cache on or off, duration. */
export interface CellSpec {
  readonly payloadBytes: number;
  readonly concurrency: number;
  readonly cache: boolean;
  readonly durationMs: number;
}

/** What one cell measured: operations, latency percentiles, throughput and backend calls. */
export interface CellResult {
  readonly backend: string;
  readonly payloadBytes: number;
  readonly concurrency: number;
  readonly cache: boolean;
  readonly ops: number;
  readonly errors: number;
  readonly elapsedMs: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly backendCallsPerOp: number;
  /** Hits / (hits + misses) of the data-key cache; null without a cache. */
  readonly cacheHitRate: number | null;
  readonly firstError?: string;
  /** Median and spread across repeated trials (trials.ts); absent for a single run. */
  readonly trials?: TrialSummary;
}

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export interface TrialSummary {
  readonly count: number;
  readonly opsPerSec: Spread;
  readonly p50Ms: Spread;
  readonly p95Ms: Spread;
  readonly p99Ms: Spread;
}

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

const MAX_SAMPLES = 1_000_000;

/**
 * Run one cell. The cache (when on) is bounded as docs/security.md recommends for envelope reuse:
 * 60 s, 1,000 messages per data key.
 */
export async function runCell(backend: WorkloadBackend, spec: CellSpec, abortSignal?: AbortSignal): Promise<CellResult> {
  const cache = spec.cache ? createDataKeyCache({ maxAge: 60_000, maxMessagesEncrypted: 1000 }) : undefined;
  const client = createClient({ keyProvider: backend.provider, ...(cache ? { cache } : {}) });
  const payload = randomBytes(spec.payloadBytes);
  const context = { purpose: 'strongroom-compare', backend: backend.name };
  const once = async () => {
    const { ciphertext } = await client.encrypt(payload, { encryptionContext: context, ...(abortSignal ? { abortSignal } : {}) });
    const { plaintext } = await client.decrypt(ciphertext, { expectedEncryptionContext: context, ...(abortSignal ? { abortSignal } : {}) });
    if (plaintext.length !== payload.length) throw new StrongroomError('INTERNAL', 'compare: round trip changed the payload length');
  };
  await once(); // warm-up: connections, key handles, first data key
  const calls0 = backend.backendCalls();
  const stats0 = cache ? { ...cache.stats } : undefined;
  const samples: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const deadline = start + spec.durationMs;
  const worker = async () => {
    while (performance.now() < deadline && !abortSignal?.aborted) {
      const t0 = performance.now();
      try {
        await once();
        if (samples.length < MAX_SAMPLES) samples.push(performance.now() - t0);
      } catch (error) {
        if (abortSignal?.aborted) return;
        errors++;
        firstError ??= (error as Error).message;
        if (errors > 100 && samples.length === 0) return; // the backend is down: stop hammering it
      }
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  const elapsedMs = performance.now() - start;
  cache?.clear();
  const sorted = samples.sort((a, b) => a - b);
  const ops = sorted.length;
  let cacheHitRate: number | null = null;
  if (cache && stats0) {
    const hits = cache.stats.hits - stats0.hits;
    const lookups = hits + (cache.stats.misses - stats0.misses);
    cacheHitRate = lookups === 0 ? 0 : hits / lookups;
  }
  const r3 = (n: number) => Math.round(n * 1000) / 1000;
  return {
    backend: backend.name,
    payloadBytes: spec.payloadBytes,
    concurrency: spec.concurrency,
    cache: spec.cache,
    ops,
    errors,
    elapsedMs: Math.round(elapsedMs),
    opsPerSec: Math.round((ops / elapsedMs) * 1000 * 10) / 10,
    p50Ms: r3(percentile(sorted, 50)),
    p95Ms: r3(percentile(sorted, 95)),
    p99Ms: r3(percentile(sorted, 99)),
    backendCallsPerOp: ops === 0 ? 0 : r3((backend.backendCalls() - calls0) / ops),
    cacheHitRate: cacheHitRate === null ? null : r3(cacheHitRate),
    ...(firstError ? { firstError } : {}),
  };
}
