/**
 * Build dist/ (the CLI and everything it imports at run time) before the suite when it is missing
 * or older than any source file it depends on: the tests spawn `node dist/cli.mjs`, and the HSM
 * nodes run hsm-local's dist/cli.mjs.
 */
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestMtime(p));
    else if (!e.name.endsWith('.test.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

const DEPENDENCIES = ['cli', 'core', 'node-files', 'hsm-local', 'hsm-protocol', 'kms-local', 'provider-hsm', 'provider-kms', 'provider-custom-key-store', 's3'];

export default function setup(): void {
  const root = join(__dirname, '..', '..', '..');
  const cli = join(root, 'packages', 'cli', 'dist', 'cli.mjs');
  const built = existsSync(cli) ? statSync(cli).mtimeMs : 0;
  const newest = Math.max(...DEPENDENCIES.map((p) => newestMtime(join(root, 'packages', p, 'src'))));
  if (built >= newest) return;
  execSync('npx turbo run build --filter=@strongroom/cli... --output-logs=errors-only', { cwd: root, stdio: 'inherit' });
}
