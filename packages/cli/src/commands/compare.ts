/**
 * `strongroom compare`: the same envelope workload through each backend, then the table, the cost
 * model and the qualitative matrix; `--html` writes the report with charts, `--json` prints JSON.
 * It measures the running dev stack when there is one (dev.json), otherwise an embedded stack in a
 * temporary directory; `--profile cloudhsm-*` always uses an embedded stack with shaped HSM nodes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import { parseDuration, parseList, parseNonNegative, parsePositiveInt, parseSize } from '../args';
import { startDevStack, type DevStack } from '../dev-stack';
import { UsageError } from '../exit';
import { mergePrices, type UsageInputs } from '../compare/pricing';
import { renderHtml, renderText } from '../compare/report';
import { COMPARE_BACKENDS, COMPARE_PROFILES, runComparison, type CompareBackend } from '../compare/run';
import type { CliContext } from './context';

export interface CompareCliOptions {
  backends?: string;
  payload?: string;
  concurrency?: string;
  cache?: string;
  duration?: string;
  profile?: string;
  html?: string;
  json?: boolean;
  stack?: string;
  requestsPerMonth?: string;
  keys?: string;
  hsmCount?: string;
  prices?: string;
  priceKmsKeyMonth?: string;
  priceKmsPer10k?: string;
  priceCloudhsmHour?: string;
}

export async function runCompareCommand(ctx: CliContext, o: CompareCliOptions): Promise<void> {
  const backends = parseList(o.backends ?? 'kms,hsm,cks', '--backends', (s) => {
    if (!(COMPARE_BACKENDS as readonly string[]).includes(s)) throw new UsageError(`--backends ${s}: one of ${COMPARE_BACKENDS.join(', ')}`);
    return s as CompareBackend;
  });
  const payloads = parseList(o.payload ?? '1KiB', '--payload', (s) => parseSize(s, '--payload'));
  const concurrency = parseList(o.concurrency ?? '1,16', '--concurrency', (s) => parsePositiveInt(s, '--concurrency', 256));
  const cache = parseList(o.cache ?? 'off,on', '--cache', (s) => {
    if (s !== 'on' && s !== 'off') throw new UsageError(`--cache ${s}: on or off`);
    return s === 'on';
  });
  const durationMs = parseDuration(o.duration ?? '10s', '--duration');
  const profileName = o.profile ?? 'local';
  const profile = COMPARE_PROFILES[profileName];
  if (!profile) throw new UsageError(`--profile ${profileName}: one of ${Object.keys(COMPARE_PROFILES).join(', ')}`);
  const usage: Partial<UsageInputs> = {
    ...(o.requestsPerMonth ? { requestsPerMonth: parsePositiveInt(o.requestsPerMonth, '--requests-per-month', 1e12) } : {}),
    ...(o.keys ? { keys: parsePositiveInt(o.keys, '--keys', 1e6) } : {}),
    ...(o.hsmCount ? { hsmCount: parsePositiveInt(o.hsmCount, '--hsm-count', 1000) } : {}),
  };
  let priceOverrides: Record<string, unknown> = {};
  if (o.prices) {
    const text = readFileSync(o.prices, 'utf8');
    if (text.length > 65536) throw new UsageError(`--prices ${o.prices}: too large`);
    try {
      priceOverrides = JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new StrongroomError('INVALID_ARGUMENT', `--prices ${o.prices}: not valid JSON`, { cause: error });
    }
  }
  if (o.priceKmsKeyMonth) priceOverrides = { ...priceOverrides, kmsKeyMonth: parseNonNegative(o.priceKmsKeyMonth, '--price-kms-key-month') };
  if (o.priceKmsPer10k) priceOverrides = { ...priceOverrides, kmsPer10kRequests: parseNonNegative(o.priceKmsPer10k, '--price-kms-per-10k') };
  if (o.priceCloudhsmHour) priceOverrides = { ...priceOverrides, cloudHsmHour: parseNonNegative(o.priceCloudhsmHour, '--price-cloudhsm-hour') };
  const prices = mergePrices(Object.keys(priceOverrides).length ? priceOverrides : undefined);

  const which = o.stack ?? (profile.hsmShaping || !existsSync(ctx.configPath) ? 'embedded' : 'running');
  if (which !== 'embedded' && which !== 'running') throw new UsageError('--stack: running or embedded');
  if (which === 'running' && profile.hsmShaping) throw new UsageError(`--profile ${profileName} shapes the HSM nodes, so it needs --stack embedded`);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let stack: DevStack | undefined;
  let tmp: string | undefined;
  try {
    let config;
    if (which === 'embedded') {
      tmp = mkdtempSync(join(tmpdir(), 'strongroom-compare-'));
      log(`starting an embedded dev stack (${profile.description}) …`);
      stack = await startDevStack({ dir: tmp, ...(profile.hsmShaping ? { hsmShaping: profile.hsmShaping } : {}) });
      config = stack.config;
    } else {
      config = ctx.config();
    }
    const report = await runComparison({ config, backends, payloads, concurrency, cache, durationMs, profile: profileName, usage, prices, abortSignal: ctx.signal, log });
    if (o.html) {
      await writeFile(o.html, renderHtml(report));
      log(`wrote ${o.html}`);
    }
    process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : renderText(report));
  } finally {
    await stack?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
