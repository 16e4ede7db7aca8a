/**
 * Once per run: `npm pack` every published package (https://docs.npmjs.com/cli/v11/commands/npm-pack)
 * into a temp directory OUTSIDE the workspace, then `npm install` the tarballs into fresh projects there
 * — real copies, no workspace links, no devDependencies (npm never installs a dependency's), peers
 * named explicitly at the versions the workspace locks (so the install works offline from the npm
 * cache). Two projects: `app` (every package + peers + TypeScript) and `coreOnly` (@strongroom/core's
 * tarball alone: what `npm install @strongroom/core` gives). The tests run there; teardown deletes it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { cleanEnv, publishedPackages, ROOT, type TarballContext } from './consumer';

/** Peers and tools the consumer installs explicitly, at the workspace's installed versions. */
const EXTRA = ['@noble/ciphers', '@noble/hashes', '@noble/curves', '@aws-sdk/client-s3', '@aws-sdk/client-kms', '@smithy/types', 'typescript', '@types/node'];

function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

function npmInstall(cwd: string, specs: readonly string[]): Promise<void> {
  writeFileSync(join(cwd, 'package.json'), `${JSON.stringify({ name: 'strongroom-consumer', version: '1.0.0', private: true }, null, 2)}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...specs], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`npm install in ${cwd} exited ${code}:\n${output.slice(-4000)}`))));
  });
}

export default async function setup(project: TestProject): Promise<() => void> {
  const packages = publishedPackages();
  const missing = packages.filter((p) => !existsSync(join(ROOT, 'packages', p.dir, 'dist')));
  if (missing.length > 0) execFileSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: ROOT, stdio: 'inherit' });

  // Outside the workspace: a project under it would find the workspace's node_modules by walking up.
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'strongroom-tarball-')));
  const packsDir = join(base, 'packs');
  mkdirSync(packsDir);
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', packsDir, ...packages.flatMap((p) => ['-w', `packages/${p.dir}`])], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8' }),
  ) as { name: string; filename: string }[];
  const packs: Record<string, string> = {};
  for (const p of packed) packs[p.name] = join(packsDir, p.filename);

  const app = join(base, 'app');
  const coreOnly = join(base, 'core-only');
  mkdirSync(app);
  mkdirSync(coreOnly);
  await Promise.all([
    npmInstall(app, [...Object.values(packs), ...EXTRA.map((n) => `${n}@${installedVersion(n)}`)]),
    npmInstall(coreOnly, [packs['@strongroom/core']!]),
  ]);

  const context: TarballContext = { base, packs, app, coreOnly };
  project.provide('tarball', context);
  return () => rmSync(base, { recursive: true, force: true });
}
