/**
 * Read a file whose path came from outside (a command-line flag, a config file, an environment
 * variable) without letting that path hang or exhaust the process:
 *
 * - opened with O_NONBLOCK, so a FIFO with no writer does not block `open` (open(2): "O_NONBLOCK …
 *   the open() for reading-only returns without delay" for a FIFO, https://man7.org/linux/man-pages/man2/open.2.html);
 * - fstat(2) on the opened descriptor (not the path: no race with a swapped file) must say a regular
 *   file — a FIFO, a character device such as /dev/zero or /dev/urandom (endless), a socket or a
 *   directory is refused;
 * - at most `maxBytes` are read, whatever the size fstat reported (a file that grows while read is
 *   caught too).
 *
 * Symbolic links are followed (certificate paths are often links); what they end at must pass the
 * same checks. Every refusal is a StrongroomError naming the file, what it was for and the cap.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { StrongroomError } from '@strongroom/core';

/** What a bounded read is for and how much it may take. */
export interface BoundedReadOptions {
  /** What the file is, for messages: `--tls-cert`, `dev.json hsm.trustAnchorPath`, … */
  readonly what: string;
  /** The most bytes accepted; a larger file is refused. */
  readonly maxBytes: number;
}

/** Caps for the kinds of files Strongroom reads. */
export const MAX_BYTES = {
  /** A PEM certificate, chain or private key. */
  pem: 256 * 1024,
  /** A JSON or YAML config (dev.json, a seed, cluster registrations). */
  config: 1024 * 1024,
  /** A secret (password, key) file. */
  secret: 64 * 1024,
  /** An HSM cluster backup. */
  backup: 2 * 1024 * 1024 * 1024,
} as const;

/**
 * Check that `path` is a regular file (for a file another function then reads as a stream), without
 * blocking on a FIFO.
 * @throws StrongroomError IO_ERROR (missing, unreadable), INVALID_ARGUMENT (not a regular file).
 */
export function checkRegularFileSync(path: string, what: string): void {
  closeSync(openRegularFile(path, what).fd);
}

/** Open `path` without blocking and check, on the descriptor, that it is a regular file. */
function openRegularFile(path: string, what: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : `cannot open it (${code})`;
    throw new StrongroomError('IO_ERROR', `${what} ${path}: ${why}`, { cause: error, details: { path, reason: code } });
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new StrongroomError('INVALID_ARGUMENT', `${what} ${path}: is ${describeKind(st)}, not a regular file; name the file itself`, { details: { path, reason: 'NOT_REGULAR_FILE' } });
    }
    return { fd, size: st.size };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

function describeKind(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Read the whole of a regular file of at most `maxBytes`.
 * @example
 * const pem = readBoundedFileSync(certPath, { what: '--tls-cert', maxBytes: MAX_BYTES.pem }).toString('utf8');
 * @throws StrongroomError IO_ERROR (missing, unreadable), INVALID_ARGUMENT (not a regular file),
 *   LIMIT_EXCEEDED (larger than `maxBytes`); `details` holds `path`, `maxBytes` and `reason`.
 */
export function readBoundedFileSync(path: string, options: BoundedReadOptions): Buffer {
  const { what, maxBytes } = options;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new StrongroomError('INVALID_ARGUMENT', `maxBytes: expected a non-negative integer, not ${String(maxBytes)}`);
  const { fd, size } = openRegularFile(path, what);
  try {
    const tooLarge = () =>
      new StrongroomError('LIMIT_EXCEEDED', `${what} ${path}: larger than ${maxBytes} bytes, the most accepted for it; is it the right file?`, { details: { path, maxBytes, reason: 'TOO_LARGE' } });
    if (size > maxBytes) throw tooLarge();
    // Sized by fstat, grown (up to one byte past the cap) for a file that grows while read: more
    // than `maxBytes` is refused however it got there.
    let buf = Buffer.alloc(Math.min(maxBytes, size) + 1);
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > maxBytes) throw tooLarge();
        const next = Buffer.alloc(Math.min(maxBytes + 1, buf.length * 2));
        buf.copy(next, 0, 0, n);
        buf.fill(0);
        buf = next;
      }
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    if (n > maxBytes) throw tooLarge();
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** {@link readBoundedFileSync} as UTF-8 text. */
export function readBoundedTextFileSync(path: string, options: BoundedReadOptions): string {
  return readBoundedFileSync(path, options).toString('utf8');
}

/**
 * Read `fd` into `buf` from its start until the input ends or `buf` is full; returns the bytes read.
 * A non-blocking descriptor with nothing to read yet (EAGAIN) is waited on, 10 ms at a time (these
 * reads are synchronous: they run before anything else does); with `fifo`, so is an end of input
 * before the first byte (a FIFO reads as ended until its writer opens it). Past `deadline`
 * (`Date.now()` milliseconds) the waiting stops with `timedOut`. Errors other than EAGAIN are thrown
 * as they are.
 */
export function readUntilEndSync(fd: number, buf: Uint8Array, wait: { readonly fifo?: boolean; readonly deadline?: number } = {}): { n: number; timedOut: boolean } {
  let n = 0;
  for (;;) {
    if (n === buf.length) return { n, timedOut: false };
    let r: number;
    try {
      r = readSync(fd, buf, n, buf.length - n, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      r = -1; // a pipe whose writer has not written yet
    }
    if (r > 0) {
      n += r;
      continue;
    }
    if (r === 0 && !(wait.fifo && n === 0)) return { n, timedOut: false };
    if (Date.now() >= (wait.deadline ?? Number.POSITIVE_INFINITY)) return { n, timedOut: true };
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

/**
 * Read a descriptor that came from outside (`--unseal-fd 3` with `3<secret-file` or a pipe) to its
 * end, taking at most `maxBytes`: one byte more is refused, and what was read is zeroed. Unlike a
 * path, a descriptor may be a pipe (that is what it is for); a character device such as /dev/zero
 * never ends and is refused at the cap.
 * @throws StrongroomError INVALID_ARGUMENT (not a descriptor number), IO_ERROR (unreadable: EBADF, …),
 *   LIMIT_EXCEEDED (more than `maxBytes`); `details` holds `fd`, `maxBytes` and `reason`.
 */
export function readBoundedFdSync(fd: number, options: BoundedReadOptions): Buffer {
  const { what, maxBytes } = options;
  if (!Number.isSafeInteger(fd) || fd < 0) throw new StrongroomError('INVALID_ARGUMENT', `${what}: expected a file descriptor number, not ${String(fd)}`);
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new StrongroomError('INVALID_ARGUMENT', `maxBytes: expected a non-negative integer, not ${String(maxBytes)}`);
  const buf = Buffer.alloc(maxBytes + 1);
  try {
    let n: number;
    try {
      ({ n } = readUntilEndSync(fd, buf));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new StrongroomError('IO_ERROR', `${what} ${fd}: cannot read it (${code})`, { cause: error, details: { fd, reason: code } });
    }
    if (n > maxBytes) {
      throw new StrongroomError('LIMIT_EXCEEDED', `${what} ${fd}: more than ${maxBytes} bytes, the most accepted for it; is it the right descriptor?`, { details: { fd, maxBytes, reason: 'TOO_LARGE' } });
    }
    return Buffer.from(buf.subarray(0, n));
  } finally {
    buf.fill(0);
  }
}

