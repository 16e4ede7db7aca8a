/**
 * The CLI loads a command's implementation only when that command runs (src/cli.ts), and a kms:// or
 * cks:// key's provider only when a key URI names one (src/providers.ts): `--help`, a usage error,
 * encrypt/decrypt with an hsm:// or raw-aes:// key and `strongroom hsm` load no AWS SDK. Checked on the built binary: the modules dist/cli.mjs imports statically, and
 * those each command chunk imports statically, followed through the chunks.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from './helpers';

const dist = dirname(CLI);

/** Every module reachable from `file` through static imports (relative ones followed). */
function staticImports(file: string, seen = new Set<string>()): Set<string> {
  const code = readFileSync(join(dist, file), 'utf8');
  for (const m of code.matchAll(/^(?:import|export)\b[^;'"]*?from\s*"([^"]+)"|^import\s*"([^"]+)"/gm)) {
    const spec = m[1] ?? m[2]!;
    if (seen.has(spec)) continue;
    seen.add(spec);
    if (spec.startsWith('./')) staticImports(spec.slice(2), seen);
  }
  return seen;
}

/** The chunk dist/cli.mjs imports on demand for `command` (import("./cli-<command>-….mjs")). */
function commandChunk(command: string): string {
  const code = readFileSync(CLI, 'utf8');
  const m = new RegExp(`import\\("\\./(cli-${command}-[A-Za-z0-9_-]{8}\\.mjs)"\\)`).exec(code);
  if (!m) throw new Error(`dist/cli.mjs loads no chunk for ${command}`);
  return m[1]!;
}

describe('start-up: what the strongroom binary loads', () => {
  it('at start (so for --help and usage errors): no AWS SDK, no S3 server, no command implementation', () => {
    const loaded = [...staticImports('cli.mjs')];
    expect(loaded.filter((m) => m.startsWith('@aws-sdk/') || m === 's3rver')).toEqual([]);
    // The entry is small: the commands live in chunks.
    expect(readFileSync(CLI).length).toBeLessThan(64 * 1024);
  });

  it('encrypt/decrypt and hsm load no AWS SDK (kms:// keys load the KMS client on demand); kms loads no S3 client; s3 cp does', () => {
    for (const command of ['crypt', 'hsm']) {
      expect([...staticImports(commandChunk(command))].filter((m) => m.startsWith('@aws-sdk/')), command).toEqual([]);
    }
    expect([...staticImports(commandChunk('kms'))]).not.toContain('@aws-sdk/client-s3');
    expect([...staticImports(commandChunk('s3'))]).toContain('@aws-sdk/client-s3');
  });

  it('--help and a usage error still answer as before', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.toString()).toMatch(/^Usage: strongroom /);
    const usage = await runCli(['encrypt', '--bogus']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/\[USAGE\]/);
  });
});
