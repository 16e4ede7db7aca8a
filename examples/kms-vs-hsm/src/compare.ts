/**
 * kms-vs-hsm: the backend comparison from code — the same envelope workload through AWS KMS, the HSM
 * cluster and a KMS custom key store, then an HTML report with charts, the monthly cost model with
 * your own usage figures and prices, and the qualitative matrix. Equivalent to
 * `strongroom compare --html report.html`, but scriptable (e.g. from CI, with your own numbers).
 */
import { writeFile } from 'node:fs/promises';
import { mergePrices, renderHtml, runComparison, type CompareReport, type DevConfig } from '@strongroom/cli';

export interface KmsVsHsmOptions {
  config: DevConfig;
  /** Where the HTML report goes. */
  htmlPath: string;
  durationMs?: number;
  /** Your workload, for the cost model. */
  requestsPerMonth?: number;
  /** Your negotiated or regional prices, for the cost model (defaults: us-east-1 list prices). */
  prices?: { kmsKeyMonth?: number; kmsPer10kRequests?: number; cloudHsmHour?: number; source?: string };
}

export async function compareKmsVsHsm(options: KmsVsHsmOptions): Promise<CompareReport> {
  const report = await runComparison({
    config: options.config,
    backends: ['kms', 'hsm', 'cks'],
    payloads: [1024, 64 * 1024],
    concurrency: [1, 8],
    cache: [false, true],
    durationMs: options.durationMs ?? 2000,
    usage: { requestsPerMonth: options.requestsPerMonth ?? 50_000_000, keys: 4, hsmCount: 2 },
    ...(options.prices ? { prices: mergePrices(options.prices) } : {}),
  });
  await writeFile(options.htmlPath, renderHtml(report));
  return report;
}

/** The backend with the lowest monthly cost at these figures (with a data-key cache). */
export function cheapest(report: CompareReport): string | undefined {
  return [...report.cost.rows].sort((a, b) => (a.withCache?.totalPerMonth ?? Infinity) - (b.withCache?.totalPerMonth ?? Infinity))[0]?.backend;
}
