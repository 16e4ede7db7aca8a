/**
 * The tarball suite's shared pieces: which packages are published, where global-setup.ts packed and
 * installed them, and how to run a command in the consumer project (outside the workspace, with no npm
 * or vitest settings inherited, so nothing resolves through the workspace).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');

/** What global-setup.ts provides (vitest `provide`/`inject`). */
export interface TarballContext {
  /** Temp dir holding everything below (outside the workspace). */
  readonly base: string;
  /** The .tgz files from `npm pack`, by package name. */
  readonly packs: Readonly<Record<string, string>>;
  /** A project with every tarball and the peers installed. */
  readonly app: string;
  /** A project with @strongroom/core's tarball alone (no peers). */
  readonly coreOnly: string;
}

declare module 'vitest' {
  interface ProvidedContext {
    tarball: TarballContext;
  }
}

/** The published packages (not `private`), as `{ dir, name }`. */
export function publishedPackages(): { dir: string; name: string }[] {
  const out: { dir: string; name: string }[] = [];
  for (const dir of readdirSync(join(ROOT, 'packages')).sort()) {
    const file = join(ROOT, 'packages', dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name: string; private?: boolean };
    if (!manifest.private) out.push({ dir, name: manifest.name });
  }
  return out;
}

/** The environment for commands in the consumer project: no npm_* settings from an outer `npm test`, no NODE_OPTIONS. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === 'NODE_OPTIONS' || k.startsWith('VITEST') || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...extra };
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run a command to completion (never throws on a non-zero exit). */
export function run(command: string, args: readonly string[], options: { cwd: string; env?: Record<string, string>; timeoutMs?: number; input?: string }): RunResult {
  const r = spawnSync(command, args, {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    input: options.input ?? '',
    maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `node <args>` in the consumer project. */
export function node(cwd: string, args: readonly string[], env?: Record<string, string>): RunResult {
  return run(process.execPath, args, { cwd, ...(env ? { env } : {}) });
}
