/**
 * Build dist/cli.mjs once before the suite when it is missing or older than any source file:
 * node processes run the built CLI, not TypeScript sources.
 */
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  const pkg = join(__dirname, '..');
  const cli = join(pkg, 'dist', 'cli.mjs');
  if (existsSync(cli) && statSync(cli).mtimeMs >= newestMtime(join(pkg, 'src'))) return;
  execSync('npx turbo run build --filter=@strongroom/hsm-local --output-logs=errors-only', { cwd: join(pkg, '..', '..'), stdio: 'inherit' });
}
