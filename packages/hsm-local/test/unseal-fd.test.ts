/**
 * `--unseal-fd N`: the unseal secret read from a descriptor the caller opened. An attacker (or a
 * mistake) that points it at an endless source — `--unseal-fd 3 3</dev/zero` — used to make the node
 * read forever into memory (an unbounded readFileSync); now the read stops at the secret cap (64 KiB)
 * with LIMIT_EXCEEDED. A secret within the cap reads whole, one trailing newline removed.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import { afterAll, describe, expect, it } from 'vitest';
import { readUnsealSecret } from '../src/unseal';

const dir = mkdtempSync(join(tmpdir(), 'unseal-fd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function withFd<T>(path: string, fn: (fd: number) => T): T {
  const fd = openSync(path, 'r');
  try {
    return fn(fd);
  } finally {
    closeSync(fd);
  }
}

describe('--unseal-fd', () => {
  it('an endless descriptor (/dev/zero) is refused at the 64 KiB cap with LIMIT_EXCEEDED, not read forever', () => {
    const error = withFd('/dev/zero', (fd) => {
      try {
        readUnsealSecret({ fd }, join(dir, 'data'));
      } catch (e) {
        return e;
      }
      return undefined;
    });
    expect(StrongroomError.isInstance(error, 'LIMIT_EXCEEDED'), String(error)).toBe(true);
    expect((error as Error).message).toContain('--unseal-fd');
  });

  it('reads a secret within the cap whole, one trailing newline removed', () => {
    const file = join(dir, 'secret');
    writeFileSync(file, 'correct horse battery staple\n', { mode: 0o600 });
    expect(withFd(file, (fd) => readUnsealSecret({ fd }, join(dir, 'data')))).toBe('correct horse battery staple');
  });
});
