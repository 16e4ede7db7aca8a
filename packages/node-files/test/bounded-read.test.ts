/**
 * The attacks on a file path that comes from outside: a FIFO nobody writes (a blocking open or read
 * hangs the process), /dev/zero (an endless read exhausts memory), a huge file, a directory, a
 * symbolic link to any of them. Each must be refused at once, typed, naming the file; a regular
 * file within the cap (also through a link) reads whole.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BYTES, readBoundedFdSync, readBoundedFileSync, readBoundedTextFileSync } from '../src/index';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'node-files-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function refusal(path: string, maxBytes = 1024): StrongroomError {
  try {
    readBoundedFileSync(path, { what: '--thing', maxBytes });
  } catch (e) {
    if (StrongroomError.isInstance(e)) return e;
    throw e;
  }
  throw new Error(`${path} was read`);
}

describe('readBoundedFileSync', () => {
  it('reads a regular file within the cap, also through a symbolic link', () => {
    writeFileSync(join(dir, 'ok.pem'), 'pem text\n');
    symlinkSync(join(dir, 'ok.pem'), join(dir, 'link.pem'));
    expect(readBoundedTextFileSync(join(dir, 'ok.pem'), { what: 'x', maxBytes: MAX_BYTES.pem })).toBe('pem text\n');
    expect(readBoundedTextFileSync(join(dir, 'link.pem'), { what: 'x', maxBytes: 9 })).toBe('pem text\n');
    writeFileSync(join(dir, 'empty'), '');
    expect(readBoundedFileSync(join(dir, 'empty'), { what: 'x', maxBytes: 0 }).length).toBe(0);
  });

  it('refuses a FIFO with no writer at once (no blocking open, no blocking read)', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const e = refusal(fifo);
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.message).toBe(`--thing ${fifo}: is a FIFO (named pipe), not a regular file; name the file itself`);
    symlinkSync(fifo, join(dir, 'fifo-link'));
    expect(refusal(join(dir, 'fifo-link')).details).toMatchObject({ reason: 'NOT_REGULAR_FILE' });
  });

  it('refuses /dev/zero and /dev/urandom (endless devices) and a directory', () => {
    expect(refusal('/dev/zero').message).toMatch(/is a character device, not a regular file/);
    expect(refusal('/dev/urandom').code).toBe('INVALID_ARGUMENT');
    expect(refusal(dir).message).toMatch(/is a directory/);
  });

  it('refuses a file over the cap, naming the file and the cap, without reading it all', () => {
    const big = join(dir, 'big');
    writeFileSync(big, '');
    truncateSync(big, 8 * 1024 * 1024 * 1024); // 8 GiB sparse: reading it would exhaust memory
    const e = refusal(big, MAX_BYTES.config);
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.message).toBe(`--thing ${big}: larger than ${MAX_BYTES.config} bytes, the most accepted for it; is it the right file?`);
    expect(e.details).toMatchObject({ path: big, maxBytes: MAX_BYTES.config });
    writeFileSync(join(dir, 'one-over'), 'x'.repeat(1025));
    expect(refusal(join(dir, 'one-over')).code).toBe('LIMIT_EXCEEDED');
  });

  it('a missing file is IO_ERROR naming it', () => {
    const e = refusal(join(dir, 'nope'));
    expect(e.code).toBe('IO_ERROR');
    expect(e.message).toBe(`--thing ${join(dir, 'nope')}: no such file`);
  });
});

describe('readBoundedFdSync: a descriptor from outside (--unseal-fd)', () => {
  const fdRefusal = (fd: number, maxBytes = 1024): StrongroomError => {
    try {
      readBoundedFdSync(fd, { what: '--unseal-fd', maxBytes });
    } catch (e) {
      if (StrongroomError.isInstance(e)) return e;
      throw e;
    }
    throw new Error(`descriptor ${fd} was read`);
  };

  it('/dev/zero (endless) is refused at the cap, at once, instead of exhausting memory', () => {
    const fd = openSync('/dev/zero', 'r');
    try {
      const e = fdRefusal(fd, MAX_BYTES.secret);
      expect(e.code).toBe('LIMIT_EXCEEDED');
      expect(e.message).toContain('--unseal-fd');
      expect(e.message).toContain(String(MAX_BYTES.secret));
    } finally {
      closeSync(fd);
    }
  });

  it('reads a descriptor to its end within the cap; one byte more is refused', () => {
    const ok = join(dir, 'fd-ok');
    writeFileSync(ok, 'a'.repeat(1024));
    const big = join(dir, 'fd-big');
    writeFileSync(big, 'a'.repeat(1025));
    const fd = openSync(ok, 'r');
    try {
      expect(readBoundedFdSync(fd, { what: '--unseal-fd', maxBytes: 1024 }).toString()).toBe('a'.repeat(1024));
    } finally {
      closeSync(fd);
    }
    const fdBig = openSync(big, 'r');
    try {
      expect(fdRefusal(fdBig).code).toBe('LIMIT_EXCEEDED');
    } finally {
      closeSync(fdBig);
    }
  });

  it('a pipe (what a descriptor is for) reads whole; a bad descriptor is IO_ERROR, a bad number INVALID_ARGUMENT', () => {
    // The shell's `3<<<"$SECRET"` in a child: the child reads its descriptor 3 through the built function.
    const script = `const { readBoundedFdSync } = require(${JSON.stringify(join(__dirname, '..', 'dist', 'index.cjs'))}); process.stdout.write(readBoundedFdSync(3, { what: '--unseal-fd', maxBytes: 64 }).toString());`;
    const out = execFileSync('bash', ['-c', `exec 3<<<"s3cret-value"; exec "${process.execPath}" -e '${script.replace(/'/g, "'\\''")}'`], { encoding: 'utf8' });
    expect(out).toBe('s3cret-value\n');
    expect(fdRefusal(987_654).code).toBe('IO_ERROR');
    expect(fdRefusal(-1).code).toBe('INVALID_ARGUMENT');
  });
});
