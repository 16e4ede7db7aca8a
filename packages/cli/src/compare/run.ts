/**
 * `runComparison`: open each requested backend on a dev stack, run the same workload matrix
 * through each (payload × concurrency × cache), and assemble the report — measurements, the monthly
 * cost model fed with the *measured* backend calls per operation, and the qualitative matrix.
 * Backends that are not available (cks before issue 6, pkcs11 without SoftHSM) are listed with the
 * reason and skipped, never silently dropped.
 */
import os from 'node:os';
import { StrongroomError } from '@strongroom/core';
import type { DevConfig } from '../dev-config';
import { keyProviderFromUri, type OpenedProvider } from '../providers';
import { BACKEND_TITLES, LOCAL_STAND_INS, MATRIX } from './matrix';
import { DEFAULT_PRICES, DEFAULT_USAGE, monthlyCost, type PriceInputs, type UsageInputs } from './pricing';
import type { BackendStatus, CompareReport, CostRow } from './report';
import { openSoftHsmProvider } from './softhsm';
import { runCell, type CellResult } from './workload';

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
  readonly abortSignal?: AbortSignal;
  /** Progress lines (one per measured cell); default: none. */
  readonly log?: (line: string) => void;
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
  const statuses: BackendStatus[] = [];
  const results: CellResult[] = [];
  for (const name of backends) {
    const base = { name, title: BACKEND_TITLES[name] ?? name, localStandIn: LOCAL_STAND_INS[name] ?? name };
    let opened: OpenedProvider;
    try {
      opened = await open(name, options.config);
    } catch (error) {
      const reason = StrongroomError.isInstance(error) ? error.message : String((error as Error)?.message ?? error);
      log(`${name}: skipped — ${reason}`);
      statuses.push({ ...base, available: false, reason });
      continue;
    }
    statuses.push({ ...base, available: true });
    try {
      for (const payloadBytes of payloads) {
        for (const c of concurrency) {
          for (const cache of caches) {
            if (options.abortSignal?.aborted) throw new StrongroomError('ABORTED', 'compare: interrupted');
            log(`${name}: payload ${payloadBytes} B, concurrency ${c}, cache ${cache ? 'on' : 'off'} …`);
            results.push(
              await runCell({ name, provider: opened.provider, backendCalls: opened.backendCalls }, { payloadBytes, concurrency: c, cache, durationMs }, options.abortSignal),
            );
          }
        }
      }
    } finally {
      await opened.close();
    }
  }
  const usage: UsageInputs = { ...DEFAULT_USAGE, ...options.usage };
  const prices = options.prices ?? { ...DEFAULT_PRICES };
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
  return {
    tool: 'strongroom compare',
    version: 1,
    generatedAt: new Date().toISOString(),
    host: { node: process.versions.node, platform: `${process.platform}-${process.arch}`, cpus: os.cpus().length },
    profile: options.profile ?? 'local',
    durationMs,
    backends: statuses,
    results,
    cost: { usage, prices, rows },
    matrix: MATRIX,
  };
}
