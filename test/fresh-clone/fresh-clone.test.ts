/**
 * `npx strongroom` works on a fresh clone after the first install (issue 15). npm links a package's bin
 * at install time only if the bin's target exists (https://docs.npmjs.com/cli/v11/configuring-npm/package-json#bin);
 * dist/ is built after the install, so a bin pointing into dist/ was not linked until a second install and
 * `npx strongroom` failed with "could not determine executable to run". The bins are now committed
 * shims (packages/cli/bin/strongroom.mjs) that run dist/cli.mjs, or say to build first.
 *
 * This clones the current HEAD into a temp dir outside the workspace and runs a new user's first steps:
 * `npm install --prefer-offline` (the README's first command; offline from the npm cache), checks the bin is linked and says what to do
 * before the build, then `npm start` (the build and the main job on the embedded stack) and
 * `npx strongroom --help`. CI runs this once per Node version (.ci/run), so a fresh clone is proven on
 * Node 20, 22 and 24.
 *
 * The clone's build reads (never writes) this checkout's turbo cache: turbo keys each package's build
 * by a hash of every input (sources, configs, the lockfile's resolved versions), so a package whose
 * inputs are byte-identical to a build this checkout already ran is restored from that build's
 * outputs, and any difference builds it afresh. In CI the checkout is itself a fresh clone whose
 * `npm test` built every package from scratch just before; rebuilding the same bytes here cost each
 * of the three Node runs ~50 s of CPU on the 2-core machine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const base = realpathSync(mkdtempSync(join(tmpdir(), 'strongroom-fresh-clone-')));
const clone = join(base, 'strongroom');
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** No npm_* settings from an outer `npm test`, no vitest variables: the clone is a new user's shell. */
const env: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && !k.startsWith('VITEST') && k !== 'NODE_OPTIONS' && k !== 'INIT_CWD'),
);

/** Where turbo keeps this checkout's cache: `.turbo/cache` beside the main worktree's `.git`. */
function outerTurboCache(): string {
  const r = spawnSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd: ROOT, encoding: 'utf8' });
  return join(dirname(r.stdout.trim()), '.turbo', 'cache');
}

function sh(command: string, args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(command, args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', timeout: 25 * 60_000, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

it('git clone, npm install, npm start, npx strongroom --help exits 0 (the bin is linked by the first install)', () => {
  const cloned = sh('git', ['clone', '--quiet', '--no-hardlinks', ROOT, clone], base);
  expect(cloned.code, cloned.stderr).toBe(0);
  expect(existsSync(join(clone, 'packages', 'cli', 'dist'))).toBe(false); // nothing built: a fresh clone

  const installed = sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], clone);
  expect(installed.code, installed.stderr).toBe(0);
  expect(existsSync(join(clone, 'node_modules', '.bin', 'strongroom'))).toBe(true);

  // Before the build the bin exists and says what to do (not npx's "could not determine executable").
  const early = sh('npx', ['strongroom', '--help'], clone);
  expect(early.stderr).toContain('run `npm run build`');
  expect(early.code).toBe(1);

  // `npm start` = `npm run build && node scripts/start.mjs`: the build, then the main job.
  const started = sh('npm', ['start'], clone, { TURBO_CACHE_DIR: outerTurboCache(), TURBO_CACHE: 'local:r' });
  expect(started.code, started.stdout.slice(-4000) + started.stderr.slice(-4000)).toBe(0);
  console.info(`fresh clone's build: ${/Cached:.*total/.exec(started.stdout)?.[0] ?? '(no turbo summary)'} (from this checkout's turbo cache)`);

  const help = sh('npx', ['strongroom', '--help'], clone);
  expect(help.code, help.stderr).toBe(0);
  expect(help.stdout).toMatch(/^Usage: strongroom /);
});
