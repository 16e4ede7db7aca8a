/** Run the Ruby S3EC V2 peer (test/ruby/s3ec_peer.rb), or explain why it cannot run. */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const RUBY_PEER = fileURLToPath(new URL('../ruby/s3ec_peer.rb', import.meta.url));

/** undefined when Ruby and the gems are available, else the reason to skip. */
export function rubyUnavailable(gems: string[] = ['aws-sdk-s3']): string | undefined {
  const r = spawnSync('ruby', ['-e', gems.map((g) => `require "${g}"`).join(';')], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) return `ruby not runnable: ${r.error.message}`;
  if (r.status !== 0) return `ruby gems missing (${gems.join(', ')}): ${r.stderr.trim().split('\n')[0]}`;
  return undefined;
}

export interface RubyResult {
  key: string;
  ok: boolean;
  error?: string;
}

/** Run one job; resolves with the per-op results. Kills the child on timeout. */
export function runRuby(job: object, timeoutMs = 120_000): Promise<RubyResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('ruby', [RUBY_PEER], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ruby peer timed out; stderr: ${err}`));
    }, timeoutMs);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`ruby peer exited ${code}: ${err}`));
      resolve(out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as RubyResult));
    });
    child.stdin.end(JSON.stringify(job));
  });
}

/** Skip (with a printed reason) or, under STRONGROOM_REQUIRE_ALL_SUITES=1, fail. */
export function requireOrSkip(reason: string | undefined, suite: string): boolean {
  if (!reason) return true;
  if (process.env.STRONGROOM_REQUIRE_ALL_SUITES === '1') throw new Error(`${suite}: required but unavailable: ${reason}`);
  console.warn(`[skip] ${suite}: ${reason}`);
  return false;
}
