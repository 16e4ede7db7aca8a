/**
 * What the cloud adds to the measured local latency: a stated network round trip per backend
 * (assumptions, not measurements — override with `--rtt kms=5ms,hsm=1ms`) times the backend calls
 * each operation makes (measured). The local figure is the median p50 across trials with its spread.
 *
 * Default round trips (assumed): AWS KMS 5 ms (an HTTPS request to the Regional endpoint from the same
 * Region); an HSM 1 ms (the client to an HSM network interface in the same VPC, possibly another AZ);
 * a custom key store 8 ms (the KMS round trip plus KMS's own round trip to your cluster); PKCS#11 1 ms.
 */
import { StrongroomError } from '@strongroom/core';
import { cellLabel } from './labels';
import type { CellResult, Spread } from './workload';

export interface RttInputs {
  readonly ms: Readonly<Record<string, number>>;
  readonly source: string;
}

export const DEFAULT_RTT: RttInputs = Object.freeze({
  ms: Object.freeze({ kms: 5, hsm: 1, cks: 8, pkcs11: 1 }),
  source: 'assumed, not measured: KMS 5 ms (HTTPS to the Regional endpoint), HSM 1 ms (same VPC), custom key store 8 ms (KMS + KMS to your cluster), PKCS#11 1 ms',
});

const NAMES = ['kms', 'hsm', 'cks', 'pkcs11'];

/** Merge `{kms: 3, …}` onto the defaults. @throws StrongroomError INVALID_ARGUMENT. */
export function mergeRtt(overrides: Readonly<Record<string, number>> | undefined): RttInputs {
  if (!overrides) return DEFAULT_RTT;
  const ms: Record<string, number> = { ...DEFAULT_RTT.ms };
  for (const [k, v] of Object.entries(overrides)) {
    if (!NAMES.includes(k)) throw new StrongroomError('INVALID_ARGUMENT', `--rtt ${k}: one of ${NAMES.join(', ')}`);
    if (!Number.isFinite(v) || v < 0 || v > 10_000) throw new StrongroomError('INVALID_ARGUMENT', `--rtt ${k}: from 0 to 10000 ms`);
    ms[k] = v;
  }
  return { ms, source: `overridden by the user (${Object.keys(overrides).join(', ')}); others ${DEFAULT_RTT.source}` };
}

export interface LatencyRow {
  readonly backend: string;
  readonly cell: string;
  readonly cache: boolean;
  /** Measured here: p50 per operation (encrypt + decrypt), median and spread across trials. */
  readonly localP50Ms: Spread;
  readonly localP99Ms: number;
  readonly callsPerOp: number;
  readonly rttMs: number;
  /** calls per operation × round trip. */
  readonly addedMs: number;
  readonly estimatedCloudP50Ms: number;
}

export function latencyRows(results: readonly CellResult[], rtt: RttInputs): LatencyRow[] {
  const r3 = (n: number) => Math.round(n * 1000) / 1000;
  return results
    .filter((r) => r.ops > 0)
    .map((r) => {
      const local = r.trials?.p50Ms ?? { median: r.p50Ms, min: r.p50Ms, max: r.p50Ms };
      const one = rtt.ms[r.backend] ?? 0;
      const added = r3(r.backendCallsPerOp * one);
      return { backend: r.backend, cell: cellLabel(r), cache: r.cache, localP50Ms: local, localP99Ms: r.p99Ms, callsPerOp: r.backendCallsPerOp, rttMs: one, addedMs: added, estimatedCloudP50Ms: r3(local.median + added) };
    });
}
