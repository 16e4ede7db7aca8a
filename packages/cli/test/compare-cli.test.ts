/**
 * `strongroom compare` as a user runs it (the built binary, a real dev stack over real sockets):
 * the workload from flags and from a file, strictly; the recommendation and the model in the text
 * and in `--json`; hostile input files (a device, a huge file, prototype keys) refused in one line
 * with exit 2; and a stopped stack fails instead of printing empty tables.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../src/dev-stack';
import { EXIT } from '../src/exit';
import { errorLines, runCli } from './helpers';

let stack: DevStack;
let tmp: string;
let config: string;
const c = (...args: string[]) => ['--config', config, 'compare', '--stack', 'running', ...args];
const QUICK = ['--backends', 'kms,hsm', '--concurrency', '1', '--duration', '50ms'];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'strongroom-compare-cli-'));
  stack = await startDevStack({ dir: join(tmp, 'stack') });
  config = stack.configPath;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('strongroom compare: a recommendation for your workload', () => {
  it('--json carries the recommendation, the model, the trials and the latency; 1000000000 and 1e9 are both accepted', async () => {
    const r = await runCli(c(...QUICK, '--json', '--requests-per-month', '1000000000', '--peak-ops', '800'));
    expect(errorLines(r.stderr).filter((l) => !/…$/.test(l))).toEqual([]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout.toString()) as {
      version: number;
      trials: number;
      workload: { opsPerMonth: number };
      recommendation: { choice: string; reasons: string[]; whatWouldChangeIt: string[] };
      model: { curves: Array<{ cache: boolean; points: unknown[] }>; breakEvens: unknown[]; capacity: Array<{ backend: string; limitRps: number | null }>; prices: { sources: Array<{ url: string; readOn: string }> }; limits: { sources: Array<{ url: string }> } };
      latency: { rtt: { ms: Record<string, number> }; rows: Array<{ addedMs: number; localP50Ms: { median: number; min: number; max: number } }> };
      results: Array<{ trials: { count: number } }>;
    };
    expect(j.version).toBe(2);
    expect(j.workload.opsPerMonth).toBe(1e9);
    expect(j.trials).toBe(5);
    expect(j.results.every((x) => x.trials.count === 5)).toBe(true);
    expect(['kms', 'hsm', 'cks']).toContain(j.recommendation.choice);
    expect(j.recommendation.reasons.length).toBeGreaterThan(0);
    expect(j.recommendation.whatWouldChangeIt.length).toBeGreaterThan(0);
    expect(j.model.curves.map((x) => x.cache)).toEqual([false, true]);
    expect(j.model.curves[0]!.points.length).toBeGreaterThan(50);
    expect(j.model.capacity.find((x) => x.backend === 'cks')!.limitRps).toBe(1200);
    expect(j.model.prices.sources.every((s) => /^https:\/\/aws\.amazon\.com\//.test(s.url) && /^\d{4}-\d{2}-\d{2}$/.test(s.readOn))).toBe(true);
    expect(j.model.limits.sources.every((s) => /^https:\/\/docs\.aws\.amazon\.com\//.test(s.url))).toBe(true);
    expect(j.latency.rtt.ms.kms).toBe(5);
    expect(j.latency.rows.some((x) => x.addedMs > 0)).toBe(true);
    const same = await runCli(c(...QUICK, '--cache', 'off', '--json', '--ops-per-month', '1e9'));
    expect(same.code).toBe(0);
    expect((JSON.parse(same.stdout.toString()) as { workload: { opsPerMonth: number } }).workload.opsPerMonth).toBe(1e9);
  });

  it('reads the workload from a file; flags override it; the text starts with the recommendation', async () => {
    const f = join(tmp, 'workload.json');
    writeFileSync(f, JSON.stringify({ peakOpsPerSecond: 200, opsPerMonth: '5_000_000', regions: ['eu-west-1'], requirements: { fips140Level3: true, singleTenancy: true, awsIntegration: true } }));
    const r = await runCli(c(...QUICK, '--cache', 'off', '--workload', f));
    expect(r.code).toBe(0);
    const text = r.stdout.toString();
    expect(text.split('\n')[0]).toMatch(/^RECOMMENDATION — Use: a KMS custom key store — \$[\d,.]+\/month for 5 M operations\/month, 2 HSMs per Region$/);
    expect(text).toMatch(/not HSM cluster: AWS service integration/);
    expect(text).toMatch(/break-even points/);
    expect(text).toMatch(/capacity at your peak/);
    expect(text).toMatch(/sources \(override with --prices FILE and --limits FILE\):/);
    // a flag overrides the file: a peak above the store's fixed limit leaves no backend that meets everything
    const o = await runCli(c(...QUICK, '--cache', 'off', '--workload', f, '--peak-ops', '5000'));
    expect(o.code).toBe(0);
    const first = o.stdout.toString().split('\n')[0]!;
    expect(first).toMatch(/^RECOMMENDATION — Closest fit: /);
    expect(first).not.toMatch(/custom key store/);
    expect(o.stdout.toString()).toMatch(/5,000\/s above the store's 1,200\/s/);
  });

  it('refuses hostile or malformed inputs in one line with exit 2, before touching the stack', async () => {
    const big = join(tmp, 'big.json');
    writeFileSync(big, `{"keys": 1, "pad": "${'x'.repeat(70 * 1024)}"}`);
    const proto = join(tmp, 'proto.json');
    writeFileSync(proto, '{"__proto__": {"polluted": true}, "keys": 2}');
    const unknown = join(tmp, 'unknown.json');
    writeFileSync(unknown, '{"peakOpsPerSecnd": 5}');
    const cases: Array<[string[], RegExp]> = [
      [['--workload', '/dev/zero'], /--workload \/dev\/zero: not a regular file/],
      [['--prices', '/dev/zero'], /--prices \/dev\/zero: not a regular file/],
      [['--limits', '/dev/zero'], /--limits \/dev\/zero: not a regular file/],
      [['--workload', big], /larger than 64 KiB/],
      [['--workload', proto], /unknown field "__proto__"/],
      [['--workload', unknown], /unknown field "peakOpsPerSecnd"/],
      [['--workload', join(tmp, 'missing.json')], /no such file/],
      [['--ops-per-month', '1e99'], /ops-per-month: expected a whole number/],
      [['--ops-per-month', '12abc'], /is not a number/],
      [['--hit-rate', '150%'], /hit-rate: expected a number from 0 to 1/],
      [['--regions', 'us-east-1,Mars'], /"Mars" is not a Region code/],
      [['--require', 'soc2'], /--require soc2: one of/],
      [['--key-holder', 'nobody'], /--key-holder nobody: one of aws, own-hsm, only-us/],
      [['--key-type', 'dsa'], /--key-type dsa: one of symmetric, rsa, ecc/],
      [['--rtt', 'kms=fast'], /--rtt "kms=fast"/],
      [['--trials', '0'], /--trials/],
    ];
    // a few at a time: each is a Node process on a shared 2-CPU machine
    const results = [];
    for (let i = 0; i < cases.length; i += 4) results.push(...(await Promise.all(cases.slice(i, i + 4).map(([args]) => runCli(c(...QUICK, ...args), { timeoutMs: 30_000 })))));
    results.forEach((r, i) => {
      const [args, re] = cases[i]!;
      expect({ args, code: r.code }).toEqual({ args, code: EXIT.USAGE });
      expect(errorLines(r.stderr)).toHaveLength(1);
      expect(errorLines(r.stderr)[0]).toMatch(re);
      expect(r.stdout.length).toBe(0);
    });
  }, 240_000);

  it('a stopped stack: exits non-zero with what to do, and prints no empty tables', async () => {
    await stack.stop();
    const r = await runCli(c(...QUICK, '--cache', 'off'), { timeoutMs: 60_000 });
    expect(r.code).toBe(EXIT.BACKEND);
    expect(r.stdout.length).toBe(0);
    const errs = errorLines(r.stderr).filter((l) => /^strongroom: /.test(l));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/nothing could be measured .*--stack embedded/);
  });
});
