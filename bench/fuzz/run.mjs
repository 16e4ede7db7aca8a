// bench/fuzz — the long fuzzing run (outside `npm test`): every parser target of
// test/reliability/fuzz/targets, one after another, each in its own vitest process (the targets import
// the packages' TypeScript sources, as the tests do), with a fixed seed. CI runs the same targets at a
// modest count (test/reliability/fuzz-parsers.test.ts).
//
//   node bench/fuzz/run.mjs [--cases N] [--seed S] [--targets a,b] [--time-limit SECONDS] [--out FILE]
//
// --cases       cases per target (default 1000; the recorded run uses 1000000)
// --seed        fast-check seed (default 20261130)
// --targets     comma-separated target names (default: all; --list prints them)
// --time-limit  stop a target after this many seconds and report the cases it ran (default: none)
// --out         append one JSON line per target (default bench/fuzz/last-run.jsonl)
// Prints per target: cases, wall time, failures (any non-typed error, hang, 5xx or Object.prototype
// change) with the first failing input as hex, and a Markdown table at the end. Exits 1 on a failure.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '20261130' },
    targets: { type: 'string' },
    'time-limit': { type: 'string' },
    out: { type: 'string', default: join(root, 'bench/fuzz/last-run.jsonl') },
    list: { type: 'boolean', default: false },
  },
});
const TEST = 'test/reliability/fuzz-parsers.test.ts';
// Target names, in run order, read from the targets index (kept in one place).
const index = readFileSync(join(root, 'test/reliability/fuzz/targets/index.ts'), 'utf8');
const order = [...index.slice(index.indexOf('FUZZ_TARGETS')).matchAll(/\b([a-z][A-Za-z0-9]+)\b/g)].map((m) => m[1]);
const files = index.match(/from '\.\/([a-z0-9-]+)'/g).map((s) => s.slice(8, -1));
const nameOf = new Map();
for (const f of files) {
  const src = readFileSync(join(root, `test/reliability/fuzz/targets/${f}.ts`), 'utf8');
  for (const m of src.matchAll(/export const (\w+) = (?:defineTarget\(\{\s*name: '([a-z0-9-]+)'|messageTarget\('([a-z0-9-]+)'\))/g)) nameOf.set(m[1], m[2] ?? m[3]);
}
const all = order.filter((v) => nameOf.has(v)).map((v) => nameOf.get(v));
if (values.list) {
  console.log(all.join('\n'));
  process.exit(0);
}
const chosen = values.targets ? values.targets.split(',') : all;
for (const t of chosen) if (!all.includes(t)) throw new Error(`unknown target ${t}; --list shows them`);
const cases = Number(values.cases);
const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
console.log(`bench/fuzz: ${chosen.length} targets × ${cases.toLocaleString('en-US')} cases, seed ${values.seed}${values['time-limit'] ? `, at most ${values['time-limit']} s per target` : ''}; commit ${commit}; ${new Date().toISOString()}`);
if (existsSync(values.out)) rmSync(values.out);

const rows = [];
for (const target of chosen) {
  const started = Date.now();
  const r = spawnSync('npx', ['vitest', 'run', '--project', 'reliability', TEST, '-t', `^fuzzing every parser ${target}: `], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      STRONGROOM_FUZZ_TARGET: target,
      STRONGROOM_FUZZ_CASES: String(cases),
      STRONGROOM_FUZZ_SEED: values.seed,
      STRONGROOM_FUZZ_OUT: values.out,
      ...(values['time-limit'] ? { STRONGROOM_FUZZ_TIME_LIMIT_MS: String(Number(values['time-limit']) * 1000) } : {}),
    },
  });
  const wall = (Date.now() - started) / 1000;
  const result = existsSync(values.out)
    ? readFileSync(values.out, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((x) => x.target === target)
    : undefined;
  rows.push({ target, wall, result, status: r.status });
  console.log(`bench/fuzz: ${target}: ${result ? `${result.cases} cases, ${result.failures} failures` : 'no result (crashed?)'}, ${wall.toFixed(0)} s wall`);
}

console.log('\n| target | cases | wall time (s) | failures | slowest case, wall ms (CPU ms) | first failing input |');
console.log('| --- | ---: | ---: | ---: | ---: | --- |');
for (const { target, wall, result } of rows) {
  if (!result) {
    console.log(`| ${target} | — | ${wall.toFixed(0)} | run crashed | — | — |`);
    continue;
  }
  const first = result.examples[0];
  const note = result.stoppedByTimeLimit ? ' (time limit)' : '';
  console.log(`| ${target} | ${result.cases.toLocaleString('en-US')}${note} | ${(result.ms / 1000).toFixed(0)} | ${result.failures}${result.failures ? ` (${Object.entries(result.byKind).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''} | ${result.slowestMs.toFixed(0)}${result.slowestCpuMs ? ` (${result.slowestCpuMs.toFixed(0)})` : ''} | ${first ? `${first.message.replace(/\|/g, '\\|').slice(0, 120)}; hex ${first.hex.slice(0, 96)}${first.hex.length > 96 ? '…' : ''}` : ''} |`);
}
process.exit(rows.some((r) => r.status !== 0 || !r.result || r.result.failures > 0) ? 1 : 0);
