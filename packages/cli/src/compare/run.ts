/**
 * `runComparison`: open each requested backend on a dev stack, run the same workload matrix
 * through each (payload × concurrency × cache, each cell as repeated trials), and assemble the
 * report — the recommendation for the reader's workload, the cloud model (cost over volume with
 * break-even points, capacity against the peak), measured local latency with the stated network
 * round trip the cloud adds, the measured-calls cost table and the qualitative matrix. Backends
 * that are not available (pkcs11 without SoftHSM, a stopped stack) are listed with the reason and
 * skipped, never silently dropped; when nothing at all could be measured it fails (PROVIDER_ERROR).
 */
import os from 'node:os';
import { StrongroomError } from '@strongroom/core';
import type { DevConfig } from '../dev-config';
import { keyProviderFromUri, type OpenedProvider } from '../providers';
import { BACKEND_TITLES, LOCAL_STAND_INS, MATRIX } from './matrix';
import { DEFAULT_USAGE, mergePrices, monthlyCost, type PriceInputs, type UsageInputs } from './pricing';
import { mergeLimits, type LimitInputs } from './limits';
import { breakEvens, capacity, costCurve, scenarioOf, CLOUD_BACKENDS } from './model';
import { recommend } from './recommend';
import { latencyRows, mergeRtt, type RttInputs } from './latency';
import type { BackendStatus, CompareReport, CostRow } from './report';
import { openSoftHsmProvider } from './softhsm';
import { DEFAULT_TRIALS, runTrials } from './trials';
import { DEFAULT_HIT_RATE, DEFAULT_WORKLOAD, type Workload } from './workload-spec';
import type { CellResult } from './workload';

/** The backends `strongroom compare` knows, in report order. */
export const COMPARE_BACKENDS = ['kms', 'hsm', 'cks', 'pkcs11'] as const;
/** One of {@link COMPARE_BACKENDS}. */
export type CompareBackend = (typeof COMPARE_BACKENDS)[number];

/** `--profile` names: which shaping the embedded stack's HSM nodes get. */
export const COMPARE_PROFILES: Readonly<Record<string, { hsmShaping?: string; description: string }>> = {
  local: { description: 'no shaping: the local stand-ins as fast as this machine runs them' },
  'cloudhsm-hsm1': { hsmShaping: 'hsm1.medium', description: 'HSM nodes shaped like CloudHSM hsm1.medium (hsm-local SHAPING_PROFILES)' },
  'cloudhsm-hsm2m': { hsmShaping: 'hsm2m.medium', description: 'HSM nodes shaped like CloudHSM hsm2m.medium (hsm-local SHAPING_PROFILES)' },
};

/**
 * Options of {@link runComparison}: the dev config, backends, payload sizes, concurrency, cache, duration per cell, profile, usage and prices.
 */
export interface CompareOptions {
  readonly config: DevConfig;
  readonly backends?: readonly CompareBackend[];
  readonly payloads?: readonly number[];
  readonly concurrency?: readonly number[];
  readonly cache?: readonly boolean[];
  readonly durationMs?: number;
  /** Recorded in the report; shaping is applied when the stack is started (see COMPARE_PROFILES). */
  readonly profile?: string;
  readonly usage?: Partial<UsageInputs>;
  readonly prices?: PriceInputs;
  /** Trials per cell (default 5); `durationMs` is split across them. */
  readonly trials?: number;
  /** The reader's workload, for the recommendation and the cloud model. */
  readonly workload?: Workload;
  readonly limits?: LimitInputs;
  readonly rtt?: RttInputs;
  readonly abortSignal?: AbortSignal;
  /** Progress lines (one per measured cell); default: none. */
  readonly log?: (line: string) => void;
  /** Called before each cell and once at the end (done === total). */
  readonly onProgress?: (p: { readonly done: number; readonly total: number; readonly label: string; readonly elapsedMs: number }) => void;
}

async function open(name: CompareBackend, config: DevConfig): Promise<OpenedProvider> {
  switch (name) {
    case 'kms':
      return keyProviderFromUri(`kms://${config.kms.alias}`, { config });
    case 'hsm':
      return keyProviderFromUri(`hsm://${config.keyLabel}`, { config });
    case 'cks':
      if (!config.cks.available) throw new StrongroomError('UNSUPPORTED', config.cks.reason);
      return keyProviderFromUri(`cks://${config.cks.alias}`, { config });
    case 'pkcs11':
      return openSoftHsmProvider();
  }
}

function average(xs: number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * Run the comparison.
 * @throws StrongroomError INVALID_ARGUMENT for an empty matrix; backend failures become a skipped
 *   backend with its reason (so one broken backend does not hide the others).
 */
export async function runComparison(options: CompareOptions): Promise<CompareReport> {
  const backends = options.backends ?? ['kms', 'hsm', 'cks'];
  const payloads = options.payloads ?? [1024];
  const concurrency = options.concurrency ?? [1, 16];
  const caches = options.cache ?? [false, true];
  const durationMs = options.durationMs ?? 10_000;
  const log = options.log ?? (() => {});
  if (backends.length === 0 || payloads.length === 0 || concurrency.length === 0 || caches.length === 0) {
    throw new StrongroomError('INVALID_ARGUMENT', 'compare: every list (backends, payloads, concurrency, cache) needs at least one value');
  }
  const trials = options.trials ?? DEFAULT_TRIALS;
  if (!Number.isInteger(trials) || trials < 1 || trials > 100) throw new StrongroomError('INVALID_ARGUMENT', 'compare: trials must be a whole number from 1 to 100');
  const statuses: BackendStatus[] = [];
  const results: CellResult[] = [];
  const perBackend = payloads.length * concurrency.length * caches.length;
  let total = backends.length * perBackend;
  let done = 0;
  const started = performance.now();
  const progress = (label: string) => options.onProgress?.({ done, total, label, elapsedMs: performance.now() - started });
  for (const name of backends) {
    const base = { name, title: BACKEND_TITLES[name] ?? name, localStandIn: LOCAL_STAND_INS[name] ?? name };
    let opened: OpenedProvider;
    try {
      opened = await open(name, options.config);
    } catch (error) {
      const reason = StrongroomError.isInstance(error) ? error.message : String((error as Error)?.message ?? error);
      log(`${name}: skipped — ${reason}`);
      statuses.push({ ...base, available: false, reason });
      total -= perBackend;
      continue;
    }
    statuses.push({ ...base, available: true });
    const before = done;
    try {
      for (const payloadBytes of payloads) {
        for (const c of concurrency) {
          for (const cache of caches) {
            if (options.abortSignal?.aborted) throw new StrongroomError('ABORTED', 'compare: interrupted');
            const label = `${name}: payload ${payloadBytes} B, concurrency ${c}, cache ${cache ? 'on' : 'off'}`;
            if (options.onProgress) progress(label);
            else log(`${label} …`);
            results.push(await runTrials({ name, provider: opened.provider, backendCalls: opened.backendCalls }, { payloadBytes, concurrency: c, cache, durationMs }, trials, options.abortSignal));
            done++;
          }
        }
      }
    } catch (error) {
      // A backend that fails mid-run (its node stopped, a stopped stack behind a lazy client) is
      // reported as skipped with the reason; the others still run. Ctrl-C is not a backend failure.
      if (options.abortSignal?.aborted || (StrongroomError.isInstance(error) && error.code === 'ABORTED')) throw error;
      const reason = StrongroomError.isInstance(error) ? error.message : String((error as Error)?.message ?? error);
      log(`${name}: skipped — ${reason}`);
      statuses[statuses.length - 1] = { ...base, available: false, reason };
      for (let i = results.length - 1; i >= 0; i--) if (results[i]!.backend === name) results.splice(i, 1);
      total -= perBackend - (done - before);
    } finally {
      await opened.close().catch(() => {});
    }
  }
  progress('done');
  if (options.abortSignal?.aborted) throw new StrongroomError('ABORTED', 'compare: interrupted');
  if (!results.some((r) => r.ops > 0)) {
    const why = statuses.map((s) => `${s.name}: ${s.available ? (results.find((r) => r.backend === s.name)?.firstError ?? 'no operation completed') : s.reason}`).join('; ');
    throw new StrongroomError('PROVIDER_ERROR', `compare: nothing could be measured (${why}) — start the dev stack with \`strongroom dev\`, or measure a throw-away one with --stack embedded`);
  }
  const usage: UsageInputs = { ...DEFAULT_USAGE, ...options.usage };
  const prices = options.prices ?? mergePrices(undefined);
  const limits = options.limits ?? mergeLimits(undefined);
  const workload: Workload = options.workload ?? { ...DEFAULT_WORKLOAD, opsPerMonth: usage.requestsPerMonth, keys: usage.keys };
  const scenario = scenarioOf(workload);
  const cachedRate = workload.cache.enabled ? workload.cache.hitRate : DEFAULT_HIT_RATE;
  const rtt = options.rtt ?? mergeRtt(undefined);
  const rows: CostRow[] = statuses
    .filter((s) => s.available)
    .map((s) => {
      const mine = results.filter((r) => r.backend === s.name && r.ops > 0);
      const off = mine.filter((r) => !r.cache).map((r) => r.backendCallsPerOp);
      const on = mine.filter((r) => r.cache).map((r) => r.backendCallsPerOp);
      return {
        backend: s.name,
        ...(off.length ? { noCache: monthlyCost(s.name, average(off), usage, prices) } : {}),
        ...(on.length ? { withCache: monthlyCost(s.name, average(on), usage, prices) } : {}),
      };
    });
  const available = statuses.filter((s) => s.available).map((s) => s.name);
  return {
    tool: 'strongroom compare',
    version: 2,
    generatedAt: new Date().toISOString(),
    host: { node: process.versions.node, platform: `${process.platform}-${process.arch}`, cpus: os.cpus().length },
    profile: options.profile ?? 'local',
    durationMs,
    trials,
    backends: statuses,
    workload,
    recommendation: recommend(workload, prices, limits),
    model: {
      prices,
      limits,
      curves: [costCurve(scenario, 0, prices, limits), costCurve(scenario, cachedRate, prices, limits)],
      breakEvens: [...breakEvens(scenario, 0, prices, limits), ...breakEvens(scenario, cachedRate, prices, limits)],
      capacity: capacity(scenario, limits),
      backends: CLOUD_BACKENDS,
    },
    latency: { rtt, rows: latencyRows(results.filter((r) => available.includes(r.backend)), rtt) },
    results,
    cost: { usage, prices, rows },
    matrix: MATRIX,
  };
}
