// Runs the benchmarks named on the command line (default: all that exist): node bench/run.mjs core kms hsm s3
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const all = ['core', 'hsm', 'kms', 's3', 'bundle', 'web', 'fuzz'];
const names = process.argv.slice(2).length ? process.argv.slice(2) : all.filter((n) => existsSync(join(here, n, 'run.mjs')));
let failed = 0;
for (const name of names) {
  const script = join(here, name, 'run.mjs');
  if (!existsSync(script)) { console.error(`bench: no benchmark named ${name}`); failed++; continue; }
  console.log(`\n=== bench/${name} ===`);
  const r = spawnSync(process.execPath, [script], { stdio: 'inherit', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
