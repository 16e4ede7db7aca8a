/**
 * bench/cli/startup: what starting the `strongroom` binary costs, as the CPU time (user + system, all
 * threads: process.cpuUsage() at exit) and the wall time of one process, for `--help`, a usage error and
 * a whole `encrypt` with a raw AES key (no server). Contenders in the same run, interleaved, median of
 * BENCH_TRIALS (default 9) rounds:
 *   - `node -e 0`: the floor, a Node process that does nothing;
 *   - the built binary (packages/cli/dist/cli.mjs: commands imported on demand);
 *   - the same build as one file (its chunks inlined by rolldown, `codeSplitting: false`: every command
 *     and the AWS SDK loaded at start, as the binary was before it was split).
 * Build first (`npm run build`).   node bench/cli/startup.mjs [--json]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';
import { fmt, interleavedRounds, loadAverage, median, roundRatio, table } from '../lib/measure.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cliDir = join(root, 'packages', 'cli');
const built = join(cliDir, 'dist', 'cli.mjs');
const json = process.argv.includes('--json');
const trials = Number(process.env.BENCH_TRIALS ?? 9);

// The one-file build sits inside packages/cli so that its bare imports resolve as dist/'s do.
const oneFileDir = join(cliDir, '.bench-startup');
mkdirSync(oneFileDir, { recursive: true });
const oneFile = join(oneFileDir, 'cli.mjs');
const work = mkdtempSync(join(tmpdir(), 'strongroom-startup-'));
try {
  const build = await rolldown({ input: built, platform: 'node', external: (id) => !id.startsWith('.') && !id.startsWith('/'), logLevel: 'silent' });
  await build.write({ file: oneFile, format: 'esm', codeSplitting: false });
  await build.close();

  const keyFile = join(work, 'key');
  writeFileSync(keyFile, Buffer.alloc(32, 7).toString('base64'));
  const input = join(work, 'in');
  writeFileSync(input, Buffer.alloc(4096, 1));
  // Prints the process's CPU time at exit (µs) on stderr, last line.
  const probe = `data:text/javascript,process.on("exit",()=>{const u=process.cpuUsage();process.stderr.write("\\nSTARTUP_CPU_US "+(u.user+u.system)+"\\n")})`;
  let n = 0;
  const run = (args) => () => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ['--import', probe, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', STRONGROOM_CONFIG: join(work, 'none.json') } });
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = /STARTUP_CPU_US (\d+)\s*$/.exec(r.stderr ?? '');
    if (!cpu) throw new Error(`${args.join(' ')}: no CPU figure (status ${r.status}): ${(r.stderr ?? '').slice(-400)}`);
    return { cpuMs: Number(cpu[1]) / 1000, wallMs, status: r.status };
  };
  const encrypt = (bin) => [bin, 'encrypt', '-i', input, '-o', join(work, `out-${n++ % 4}`), '--key', 'raw-aes://bench/k1', '--key-file', keyFile];
  const cases = [
    ['node -e 0', run(['-e', '0'])],
    ['--help, split', run([built, '--help'])],
    ['--help, one file', run([oneFile, '--help'])],
    ['usage error, split', run([built, 'encrypt', '--bogus'])],
    ['usage error, one file', run([oneFile, 'encrypt', '--bogus'])],
    ['encrypt raw-aes 4 KiB, split', () => run(encrypt(built))()],
    ['encrypt raw-aes 4 KiB, one file', () => run(encrypt(oneFile))()],
  ];
  const rounds = await interleavedRounds(cases, trials);
  for (const [name, values] of rounds) {
    const expected = name.startsWith('usage') ? 2 : 0;
    if (values.some((v) => v.status !== expected)) throw new Error(`${name}: exit ${values.map((v) => v.status).join(',')}, expected ${expected}`);
  }
  const cpu = new Map([...rounds].map(([k, v]) => [k, v.map((x) => x.cpuMs)]));
  const wall = new Map([...rounds].map(([k, v]) => [k, v.map((x) => x.wallMs)]));
  const rows = [...rounds.keys()].map((name) => {
    const oneFileName = name.replace(', split', ', one file');
    const ratio = name.endsWith(', split') ? roundRatio(cpu, oneFileName, name) : undefined;
    return [name, fmt(median(cpu.get(name)), 0), fmt(median(wall.get(name)), 0), ratio === undefined ? '' : `${fmt(ratio, 2)}×`];
  });
  if (json) {
    console.log(JSON.stringify(Object.fromEntries([...rounds.keys()].map((k) => [k, { cpuMs: median(cpu.get(k)), wallMs: median(wall.get(k)) }]))));
  } else {
    console.log(`strongroom start-up, median of ${trials} interleaved rounds; ${loadAverage()}`);
    console.log(table(['case', 'CPU ms (user+sys)', 'wall ms', 'one file / split (CPU)'], rows));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  rmSync(oneFileDir, { recursive: true, force: true });
}
