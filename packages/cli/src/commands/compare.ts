/**
 * `strongroom compare`: a recommendation for the reader's workload (flags or `--workload FILE`), the
 * cloud model behind it (cost over volume with break-even points, capacity against the peak, dated
 * and sourced prices and quotas, all overridable) and the same envelope workload measured through each
 * backend on a dev stack in repeated trials. `--html` writes the report with charts, `--json` prints
 * all of it. It measures the running dev stack when there is one (dev.json), otherwise an embedded
 * stack; when nothing can be measured (a stopped stack) it fails instead of printing empty tables —
 * it does not silently measure a different stack (docs/cli.md#strongroom-compare).
 */
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, readSync, rmSync, constants as fsc } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import { parseDuration, parseList, parseNonNegative, parsePositiveInt, parseSize } from '../args';
import { startDevStack, type DevStack } from '../dev-stack';
import { UsageError } from '../exit';
import { mergeLimits } from '../compare/limits';
import { mergeRtt } from '../compare/latency';
import { mergePrices } from '../compare/pricing';
import { renderHtml, renderText } from '../compare/report';
import { COMPARE_BACKENDS, COMPARE_PROFILES, runComparison, type CompareBackend } from '../compare/run';
import { DEFAULT_WORKLOAD, applyWorkload, normalise, parseCount, parseRate, parseRegions, parseWorkloadText, type Workload } from '../compare/workload-spec';
import type { CliContext } from './context';
import type { CompareCliOptions } from './compare-options';

const MAX_INPUT = 64 * 1024;

/**
 * Read a small JSON input file: a regular file of at most 64 KiB (never a device, FIFO or a huge
 * file), parsed strictly. @throws StrongroomError INVALID_ARGUMENT naming the flag.
 */
export function readSmallJson(path: string, flag: string): unknown {
  let fd: number;
  try {
    fd = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new StrongroomError('INVALID_ARGUMENT', `${flag} ${path}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? 'error'})`} — give the path of a JSON file`, { cause: error });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new StrongroomError('INVALID_ARGUMENT', `${flag} ${path}: not a regular file — give the path of a JSON file`);
    if (st.size > MAX_INPUT) throw new StrongroomError('INVALID_ARGUMENT', `${flag} ${path}: larger than ${MAX_INPUT / 1024} KiB — it should be a small JSON object`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    const text = buf.subarray(0, off).toString('utf8');
    if (flag === '--workload') return text;
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new StrongroomError('INVALID_ARGUMENT', `${flag} ${path}: not valid JSON (${(error as Error).message})`, { cause: error });
    }
  } finally {
    closeSync(fd);
  }
}

const REQUIREMENTS = ['fips-140-3-l3', 'single-tenancy', 'pkcs11', 'aws-integration'] as const;

/** The workload from `--workload FILE` and the workload flags (flags win). */
export function workloadFromOptions(o: CompareCliOptions): Workload {
  let w: Workload = o.workload ? parseWorkloadText(readSmallJson(o.workload, '--workload') as string, o.workload) : { ...DEFAULT_WORKLOAD };
  const flag = (f: () => void) => {
    try {
      f();
    } catch (error) {
      if (StrongroomError.isInstance(error)) throw new UsageError(error.message.replace(/^workload /, '--'));
      throw error;
    }
  };
  const raw: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (o.opsPerMonth && o.requestsPerMonth) throw new UsageError('--ops-per-month and --requests-per-month are the same; give one');
  flag(() => {
    if (o.peakOps) raw.peakOpsPerSecond = parseCount(o.peakOps, 'peak-ops', 1, 1e9);
    const perMonth = o.opsPerMonth ?? o.requestsPerMonth;
    if (perMonth) raw.opsPerMonth = parseCount(perMonth, o.opsPerMonth ? 'ops-per-month' : 'requests-per-month', 1, 1e13);
    if (o.keys) raw.keys = parseCount(o.keys, 'keys', 1, 1e6);
    if (o.regions) raw.regions = parseRegions(o.regions, 'regions');
    if (o.keyType) {
      if (!['symmetric', 'rsa', 'ecc'].includes(o.keyType)) throw new UsageError(`--key-type ${o.keyType.slice(0, 40)}: one of symmetric, rsa, ecc`);
      raw.keyType = o.keyType;
    }
    if (o.messageSize) raw.messageBytes = parseSize(o.messageSize, '--message-size');
  });
  const requirements: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (o.require) {
    for (const r of parseList(o.require, '--require', (s) => s)) {
      if (!(REQUIREMENTS as readonly string[]).includes(r)) throw new UsageError(`--require ${r}: one of ${REQUIREMENTS.join(', ')}`);
      requirements[r === 'fips-140-3-l3' ? 'fips140Level3' : r === 'single-tenancy' ? 'singleTenancy' : r === 'pkcs11' ? 'pkcs11' : 'awsIntegration'] = true;
    }
  }
  if (o.keyHolder) {
    if (!['aws', 'own-hsm', 'only-us'].includes(o.keyHolder)) throw new UsageError(`--key-holder ${o.keyHolder.slice(0, 40)}: one of aws, own-hsm, only-us`);
    requirements.keyHolder = o.keyHolder;
  }
  if (Object.keys(requirements).length) raw.requirements = { ...requirements };
  const cache: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (o.workloadCache) {
    if (o.workloadCache !== 'on' && o.workloadCache !== 'off') throw new UsageError('--workload-cache: on or off');
    cache.enabled = o.workloadCache === 'on';
  }
  flag(() => {
    if (o.hitRate) cache.hitRate = parseRate(o.hitRate, 'hit-rate');
  });
  if (Object.keys(cache).length) raw.cache = { ...cache };
  flag(() => {
    const hadRate = w.cache.enabled;
    w = applyWorkload(w, { ...raw });
    if (o.workloadCache === 'on' && !o.hitRate && !hadRate) w = normalise({ ...w, cache: { enabled: true, hitRate: 0 } }, false);
  });
  return w;
}

/** `kms=5ms,hsm=1` → { kms: 5, hsm: 1 }. */
export function parseRtt(value: string): Record<string, number> {
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const item of parseList(value, '--rtt', (s) => s)) {
    const m = /^([a-z0-9]+)=(\d{1,5}(?:\.\d{1,3})?)(ms)?$/.exec(item);
    if (!m) throw new UsageError(`--rtt ${JSON.stringify(item.slice(0, 40))}: expected backend=milliseconds, e.g. kms=5ms`);
    out[m[1]!] = Number(m[2]);
  }
  return { ...out };
}

/** "N of M cells · ETA" on a terminal's stderr; nothing elsewhere. */
function progressLine(enabled: boolean) {
  let last = '';
  return {
    update(p: { done: number; total: number; label: string; elapsedMs: number }) {
      if (!enabled) return;
      const eta = p.done === 0 ? '…' : `${Math.max(0, Math.round(((p.elapsedMs / p.done) * (p.total - p.done)) / 1000))} s`;
      const width = Math.max(20, (process.stderr.columns ?? 80) - 1);
      last = `compare: ${p.done} of ${p.total} cells · ETA ${eta} · ${p.label}`.slice(0, width);
      process.stderr.write(`\r\x1b[K${last}`);
      if (p.done === p.total) process.stderr.write('\n');
    },
    log(line: string) {
      if (enabled && last) process.stderr.write(`\r\x1b[K${line}\n${last}`);
      else process.stderr.write(`${line}\n`);
    },
  };
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
  const trials = o.trials ? parsePositiveInt(o.trials, '--trials', 100) : 5;
  const profileName = o.profile ?? 'local';
  const profile = COMPARE_PROFILES[profileName];
  if (!profile) throw new UsageError(`--profile ${profileName}: one of ${Object.keys(COMPARE_PROFILES).join(', ')}`);
  const workload = workloadFromOptions(o);
  let priceOverrides: Record<string, unknown> = {};
  if (o.prices) {
    const parsed = readSmallJson(o.prices, '--prices');
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new StrongroomError('INVALID_ARGUMENT', `--prices ${o.prices}: expected a JSON object`);
    priceOverrides = { ...(parsed as Record<string, unknown>) };
  }
  if (o.priceKmsKeyMonth) priceOverrides = { ...priceOverrides, kmsKeyMonth: parseNonNegative(o.priceKmsKeyMonth, '--price-kms-key-month') };
  if (o.priceKmsPer10k) priceOverrides = { ...priceOverrides, kmsPer10kRequests: parseNonNegative(o.priceKmsPer10k, '--price-kms-per-10k') };
  if (o.priceCloudhsmHour) priceOverrides = { ...priceOverrides, cloudHsmHour: parseNonNegative(o.priceCloudhsmHour, '--price-cloudhsm-hour') };
  if (workload.regions[0] && !('region' in priceOverrides)) priceOverrides = { ...priceOverrides, region: workload.regions[0] };
  const prices = mergePrices(priceOverrides);
  const limits = mergeLimits(o.limits ? readSmallJson(o.limits, '--limits') : undefined);
  const rtt = mergeRtt(o.rtt ? parseRtt(o.rtt) : undefined);
  const usage = { requestsPerMonth: workload.opsPerMonth, keys: workload.keys, ...(o.hsmCount ? { hsmCount: parsePositiveInt(o.hsmCount, '--hsm-count', 1000) } : {}) };

  const which = o.stack ?? (profile.hsmShaping || !existsSync(ctx.configPath) ? 'embedded' : 'running');
  if (which !== 'embedded' && which !== 'running') throw new UsageError('--stack: running or embedded');
  if (which === 'running' && profile.hsmShaping) throw new UsageError(`--profile ${profileName} shapes the HSM nodes, so it needs --stack embedded`);
  const line = progressLine(process.stderr.isTTY === true && !o.json);
  let stack: DevStack | undefined;
  let tmp: string | undefined;
  try {
    let config;
    if (which === 'embedded') {
      tmp = mkdtempSync(join(tmpdir(), 'strongroom-compare-'));
      line.log(`starting an embedded dev stack (${profile.description}) …`);
      stack = await startDevStack({ dir: tmp, ...(profile.hsmShaping ? { hsmShaping: profile.hsmShaping } : {}) });
      config = stack.config;
    } else {
      config = ctx.config();
    }
    const report = await runComparison({
      config, backends, payloads, concurrency, cache, durationMs, trials, profile: profileName, usage, prices, limits, rtt, workload,
      abortSignal: ctx.signal,
      log: (l) => line.log(l),
      ...(process.stderr.isTTY === true && !o.json ? { onProgress: (p: { done: number; total: number; label: string; elapsedMs: number }) => line.update(p) } : {}),
    });
    if (o.html) {
      await writeFile(o.html, renderHtml(report));
      line.log(`wrote ${o.html}`);
    }
    process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : renderText(report));
  } finally {
    await stack?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}
