/**
 * The built packages as a user gets them: `npm pack` (https://docs.npmjs.com/cli/v11/commands/npm-pack)
 * of @strongroom/core into a temp directory outside the workspace, `npm install` of the tarball (and
 * its optional @noble peers) into a fresh project there (no workspace links), and the check scripts copied next to it so every runtime
 * resolves `@strongroom/core` from that project's node_modules.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const HERE = import.meta.dirname;
const NOBLE = ['@noble/ciphers', '@noble/curves', '@noble/hashes'];

/** The environment for npm and the runtimes: nothing inherited from an outer `npm test` or vitest. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === 'NODE_OPTIONS' || k.startsWith('VITEST') || k === 'INIT_CWD' || k === 'NODE_ENV') continue;
    env[k] = v;
  }
  return { ...env, DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1', ...extra };
}

export interface Install {
  /** Temp dir holding everything (delete when done). */
  readonly base: string;
  /** The consumer project: node_modules/@strongroom/core from the tarball, and the check scripts. */
  readonly app: string;
  /** Where the runtimes exchange fixtures, cross messages and results. */
  readonly work: string;
}

export function installPackedCore(): Install {
  if (!existsSync(join(ROOT, 'packages', 'core', 'dist'))) execFileSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: ROOT, stdio: 'inherit' });
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'strongroom-runtimes-')));
  const app = join(base, 'app');
  const work = join(base, 'work');
  mkdirSync(app);
  mkdirSync(work);
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', base, '-w', 'packages/core'], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8' })) as { filename: string }[];
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'strongroom-runtime-check', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
  // With core's optional peers (@noble/*, at the workspace's versions): the web entry signs and
  // verifies the signed suites with @noble/curves over a streamed hash (packages/core README).
  const peers = NOBLE.map((name) => `${name}@${(JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version}`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', join(base, packed!.filename), ...peers], { cwd: app, env: cleanEnv(), stdio: 'pipe' });
  for (const file of ['check.mjs', 'run-server-runtime.mjs', 'web-entry.mjs']) copyFileSync(join(HERE, file), join(app, file));
  return { base, app, work };
}
