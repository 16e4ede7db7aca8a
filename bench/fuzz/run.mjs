// bench/fuzz — the long fuzzing run (outside `npm test`): every fuzz suite in the repository with
// STRONGROOM_FUZZ_RUNS cases per property (default 1,000,000). In CI the same suites run 10,000.
//   node bench/fuzz/run.mjs [runs]
// Fuzz suites are the test files that read STRONGROOM_FUZZ_RUNS (the case count of their properties).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const runs = process.argv[2] ?? process.env.STRONGROOM_FUZZ_RUNS ?? '1000000';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) find(path, out);
    else if (/\.test\.ts$/.test(name) && readFileSync(path, 'utf8').includes('STRONGROOM_FUZZ_RUNS')) out.push(path);
  }
  return out;
}

const files = [...find(join(root, 'packages')), ...find(join(root, 'test'))];
console.log(`bench/fuzz: ${files.length} fuzz suites, ${Number(runs).toLocaleString('en-US')} cases per property`);
let failed = 0;
for (const file of files) {
  const started = Date.now();
  const r = spawnSync('npx', ['vitest', 'run', '--testTimeout=0', relative(root, file)], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, STRONGROOM_FUZZ_RUNS: String(runs) },
  });
  console.log(`${relative(root, file)}: ${r.status === 0 ? 'passed' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
