/**
 * Issue 12, "Test it in each runtime, for real": the same check (check.mjs) runs against the packed
 * and installed @strongroom/core in every runtime — Node 20/22/24, Deno, Bun, workerd (Cloudflare
 * Workers, through miniflare) and Chromium — then every runtime opens the messages every other wrote.
 * docs/runtimes.md's table is written from this run's results.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFixtures } from './fixtures';
import { cleanEnv, type Install, installPackedCore, ROOT } from './install';
import { type Outcome, writeReport } from './report';
import { bundleFor } from './bundle';
import { probe, SERVER_RUNTIMES, type ServerRuntime } from './server-runtimes';
import { WEB_RUNTIMES, type WebRuntime } from './web-runtimes';

interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}
interface PhaseResult {
  runtime: string;
  version: string;
  engine?: string;
  entry?: string;
  checks: CheckResult[];
  memory?: { kind: string; peak?: number; growth?: number; peakRss?: number };
}

let install: Install;
const outcomes = new Map<string, Outcome>();
/** Runtimes whose write phase ran (their messages are in work/cross). */
const writers = new Set<string>();
/** The bundle each web runtime ran in its write phase, reused for its read phase. */
const bundles = new Map<string, string>();
/** The core file each runtime loaded in its write phase (known gaps are per entry). */
const entries = new Map<string, string | undefined>();

beforeAll(() => {
  install = installPackedCore();
  writeFileSync(join(install.work, 'fixtures.json'), JSON.stringify(makeFixtures()));
}, 300_000);

afterAll(() => {
  if (outcomes.size > 0) writeReport(join(ROOT, 'docs', 'runtimes.md'), [...outcomes.values()]);
  if (install) rmSync(install.base, { recursive: true, force: true });
});

function runServer(rt: ServerRuntime, phase: 'write' | 'read'): PhaseResult {
  const r = spawnSync(rt.binary, [...rt.args(install.work), 'run-server-runtime.mjs', rt.name, phase, install.work], {
    cwd: install.app,
    env: cleanEnv(),
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status !== 0) throw new Error(`${rt.label} exited ${r.status ?? r.signal}: ${r.error?.message ?? ''}\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`);
  return JSON.parse(readFileSync(join(install.work, 'results', `${rt.name}.${phase}.json`), 'utf8')) as PhaseResult;
}

/**
 * Failures known and explained, per runtime and per core entry loaded. They are listed in the table;
 * anything else failing fails the test. The entry pattern makes a gap vanish when the runtime loads
 * another build (e.g. core's web entry), so a stale entry cannot hide a new failure.
 */
const KNOWN_GAPS: readonly { runtime: string; entry: RegExp; check: RegExp; why: string }[] = [];

function gapFor(runtime: string, entry: string | undefined, check: string) {
  return KNOWN_GAPS.find((g) => g.runtime === runtime && g.entry.test(entry ?? '') && g.check.test(check));
}

/** Failed checks that no known gap of this runtime (with the entry it loaded) explains. */
function failures(result: PhaseResult, runtime: string): string[] {
  const entry = result.entry ?? entries.get(runtime);
  return result.checks.filter((c) => !c.ok && !gapFor(runtime, entry, c.name)).map((c) => `${c.name}: ${c.detail}`);
}

/** Record the known gaps among a phase's failures (the table lists them), and log them. */
function gapsOf(rt: { name: string; label: string }, result: PhaseResult): Outcome['gaps'] {
  const entry = result.entry ?? entries.get(rt.name);
  const gaps = result.checks.filter((c) => !c.ok && gapFor(rt.name, entry, c.name));
  if (gaps.length === 0) return undefined;
  const whys = [...new Set(gaps.map((c) => gapFor(rt.name, entry, c.name)!.why))];
  console.log(`${rt.label}: known gaps, ${gaps.length} checks: ${gaps.map((c) => c.name).join('; ')}`);
  return { names: gaps.map((c) => c.name), why: whys.join('; ') };
}

/** The write phase's gaps plus a read phase's. */
function mergeGaps(name: string, more: Outcome['gaps']): Partial<Outcome> {
  const prev = outcomes.get(name)?.gaps;
  if (!more) return {};
  if (!prev) return { gaps: more };
  return { gaps: { names: [...prev.names, ...more.names], why: [...new Set([...prev.why.split('; '), ...more.why.split('; ')])].join('; ') } };
}

function record(name: string, label: string, patch: Partial<Outcome>): void {
  const prev = outcomes.get(name) ?? { name, label, version: '', checks: [], cross: [], problem: undefined };
  outcomes.set(name, { ...prev, ...patch, checks: [...prev.checks, ...(patch.checks ?? [])], cross: [...prev.cross, ...(patch.cross ?? [])] });
}

describe('every runtime runs the checks on the packed build', () => {
  for (const rt of SERVER_RUNTIMES) {
    it(`${rt.label}: providers, sizes, 64 MiB stream, ESDK vectors; writes its cross-runtime messages`, () => {
      const { version, problem } = probe(rt);
      if (problem) {
        record(rt.name, rt.label, { problem });
        throw new Error(problem);
      }
      let result: PhaseResult;
      try {
        result = runServer(rt, 'write');
      } catch (e) {
        record(rt.name, rt.label, { version, problem: (e as Error).message.split('\n')[0] });
        throw e;
      }
      entries.set(rt.name, result.entry);
      record(rt.name, rt.label, { version: `${result.runtime} ${result.version}`, checks: result.checks, memory: result.memory, entry: result.entry, gaps: gapsOf(rt, result) });
      if (result.checks.some((c) => c.name.startsWith('cross-runtime: write') && c.ok)) writers.add(rt.name);
      expect(failures(result, rt.name)).toEqual([]);
    });
  }
});

/** Bundle for the web runtime and run one phase there; the messages it writes land in work/cross. */
async function runWeb(rt: WebRuntime, phase: 'write' | 'read'): Promise<PhaseResult & { coreFiles: string[] }> {
  let file = bundles.get(rt.name);
  let coreFiles: string[] = [];
  if (!file) {
    const bundle = await bundleFor(install.app, rt.name, rt.conditions);
    coreFiles = bundle.coreFiles;
    if (bundle.nodeImports.length > 0) {
      throw new Error(`${rt.label}: the ${rt.conditions[0]} build of @strongroom/core (${bundle.coreFiles.join(', ')}) imports ${bundle.nodeImports.join(', ')}, which ${rt.name} does not have: core needs its web entry`);
    }
    file = bundle.file;
    bundles.set(rt.name, file);
  }
  const crossDir = join(install.work, 'cross');
  mkdirSync(crossDir, { recursive: true });
  const messages: Record<string, string> = {};
  if (phase === 'read') for (const f of readdirSync(crossDir).sort()) messages[f] = readFileSync(join(crossDir, f)).toString('base64');
  const fixtures = JSON.parse(readFileSync(join(install.work, 'fixtures.json'), 'utf8')) as unknown;
  const answer = JSON.parse(await rt.run(file, JSON.stringify({ runtime: rt.name, phase, fixtures, messages }), install.work)) as PhaseResult & { written?: Record<string, string> };
  for (const [f, b64] of Object.entries(answer.written ?? {})) writeFileSync(join(crossDir, f), Buffer.from(b64, 'base64'));
  return { ...answer, coreFiles };
}

describe('web runtimes run the checks on the packed build, bundled with their export conditions', () => {
  for (const rt of WEB_RUNTIMES) {
    it(`${rt.label}: providers, sizes, 64 MiB stream, ESDK vectors; writes its cross-runtime messages`, async () => {
      const { version, problem } = rt.probe();
      if (problem) {
        record(rt.name, rt.label, { problem });
        throw new Error(problem);
      }
      const bundle = await bundleFor(install.app, rt.name, rt.conditions);
      const entry = `@strongroom/core/${bundle.coreFiles.find((f) => /^dist\/(web|index)\.mjs$/.test(f)) ?? bundle.coreFiles[0]}`;
      if (bundle.nodeImports.length > 0) {
        const load = { name: 'load the bundle', ok: false, detail: `the ${rt.conditions[0]} build (${bundle.coreFiles.join(', ')}) imports ${bundle.nodeImports.join(', ')}` };
        const gap = gapFor(rt.name, entry, load.name);
        entries.set(rt.name, entry);
        record(rt.name, rt.label, { version: version!, entry, checks: [load], gaps: gap && { names: [load.name], why: gap.why } });
        if (gap) {
          console.log(`${rt.label}: known gap: ${gap.why}`);
          return;
        }
        throw new Error(`${rt.label}: ${load.detail}, which ${rt.name} does not have`);
      }
      bundles.set(rt.name, bundle.file);
      let result: PhaseResult & { coreFiles: string[] };
      try {
        result = await runWeb(rt, 'write');
      } catch (e) {
        record(rt.name, rt.label, { version, entry, problem: (e as Error).message.split('\n')[0] });
        throw e;
      }
      entries.set(rt.name, entry);
      record(rt.name, rt.label, { version: version!, checks: result.checks, memory: result.memory, entry, gaps: gapsOf(rt, result) });
      if (result.checks.some((c) => c.name.startsWith('cross-runtime: write') && c.ok)) writers.add(rt.name);
      expect(failures(result, rt.name)).toEqual([]);
    });
  }
});

describe('cross-runtime: a message written in each runtime opens in every other', () => {
  for (const rt of SERVER_RUNTIMES) {
    it(`${rt.label} opens every runtime's messages`, () => {
      const { problem } = probe(rt);
      if (problem) throw new Error(problem);
      const result = runServer(rt, 'read');
      record(rt.name, rt.label, { cross: result.checks, ...mergeGaps(rt.name, gapsOf(rt, result)) });
      const opened = new Set(result.checks.map((c) => c.name.replace(/^open /, '').split('.')[0]));
      expect(failures(result, rt.name)).toEqual([]);
      expect([...opened].sort()).toEqual([...writers].sort());
    });
  }
  for (const rt of WEB_RUNTIMES) {
    it(`${rt.label} opens every runtime's messages`, async () => {
      const { problem } = rt.probe();
      if (problem) throw new Error(problem);
      const outcome = outcomes.get(rt.name);
      if (!bundles.has(rt.name) && outcome?.gaps) {
        console.log(`${rt.label}: not run (known gap: ${outcome.gaps.why})`);
        return;
      }
      const result = await runWeb(rt, 'read');
      record(rt.name, rt.label, { cross: result.checks, ...mergeGaps(rt.name, gapsOf(rt, result)) });
      const opened = new Set(result.checks.map((c) => c.name.replace(/^open /, '').split('.')[0]));
      expect(failures(result, rt.name)).toEqual([]);
      expect([...opened].sort()).toEqual([...writers].sort());
    });
  }
});
