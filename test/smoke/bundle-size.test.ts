/**
 * Issue 12's bundle goal, kept: the minimal streaming app (raw AES key, encrypt and decrypt) written
 * with `@strongroom/core/streams` weighs at most a fifth of the same app with the AWS Encryption SDK's
 * browser build, min+gzip, bundled by the same bundler in the same run (bench/bundle/run.mjs over the
 * built packages; docs/runtimes.md, "Bundle size"). Sizes, not speed: the figure is the same on every
 * machine for the same lockfile. A change that adds up-front bytes to the stream functions past the
 * limit fails here, with the numbers.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

interface BundleRun {
  readonly results: readonly { readonly name: string; readonly gzip?: number; readonly error?: string }[];
  readonly streamsRatio: number;
}

describe('bundle size', () => {
  it('the stream functions app is at most 1/5 of the ESDK app (min+gzip), and every app bundles for the browser', () => {
    const run = JSON.parse(execFileSync(process.execPath, [join(root, 'bench', 'bundle', 'run.mjs'), '--json'], { cwd: root, encoding: 'utf8' })) as BundleRun;
    for (const r of run.results) expect(r.error, r.name).toBeUndefined();
    const sizes = run.results.map((r) => `${r.name}: ${r.gzip} B`).join('; ');
    console.info(`bundle min+gzip: ${sizes}; stream functions / ESDK ${run.streamsRatio.toFixed(3)}`);
    expect(run.streamsRatio, sizes).toBeLessThanOrEqual(0.2);
  });
});
