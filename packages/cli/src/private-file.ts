/**
 * The one way the CLI writes a file that holds plaintext or secrets (docs/cli.md#output-files):
 * decrypt/download outputs, the dev stack's dev.json and state.json.
 *
 * - The data is written under no name another user can predict or pre-create: on Linux an unnamed
 *   file (`open(2)` with `O_TMPFILE`, mode 0600) in the target directory, which the kernel frees if
 *   the process dies before the end; elsewhere (or when the file system refuses `O_TMPFILE`) a
 *   0600 file `.<name>.strongroom-partial-<pid>-<16 hex>` opened `O_CREAT|O_EXCL|O_NOFOLLOW`.
 * - Only on success is the data given a name: the unnamed file is linked (`linkat(2)` with
 *   `AT_SYMLINK_FOLLOW` on `/proc/self/fd/N`, through coreutils `ln -L`, since Node has no
 *   `linkat`) to such an unpredictable name, or copied into one, and that name is renamed over the
 *   target (`rename(2)` replaces it atomically).
 * - `sweepStalePartials` removes what a killed run could leave between the link and the rename:
 *   partial names of this pattern (and the old `<name>.strongroom-partial-<pid>` one) owned by this
 *   user whose process is gone. Every output opened here sweeps its directory first.
 *
 * References: open(2) (O_TMPFILE, O_EXCL, O_NOFOLLOW), linkat(2) (AT_SYMLINK_FOLLOW and
 * /proc/self/fd), rename(2) — Linux man-pages, https://man7.org/linux/man-pages/.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, fsyncSync, lstatSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { StrongroomError } from '@strongroom/core';

const PARTIAL = '.strongroom-partial-';
/** `.<name>.strongroom-partial-<pid>-<16 hex>` (this version) or `<name>.strongroom-partial-<pid>` (before). */
const PARTIAL_NAME = /^(?:\..+\.strongroom-partial-(\d{1,10})-[0-9a-f]{16}|.+\.strongroom-partial-(\d{1,10}))$/;
/** Linux `__O_TMPFILE` (020000000) on the architectures Node ships for, which all use this value. */
const LINUX_O_TMPFILE = 0o20000000;
const TMPFILE_ARCHES = new Set(['x64', 'arm64', 'arm', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64']);
const LN = ['/usr/bin/ln', '/bin/ln'];

export interface PrivateOutput {
  /** Where the bytes go; it is not under `target` until `commit()`. */
  readonly stream: Writable;
  /** How the partial data is held: `unnamed` (O_TMPFILE) or `named` (exclusive 0600 file). */
  readonly mode: 'unnamed' | 'named';
  /** Give the written bytes the target name (atomically replacing any file there). */
  commit(): Promise<void>;
  /** Drop the written bytes; nothing is left behind. */
  discard(): Promise<void>;
}

/** An unpredictable partial name in the target's directory. */
export function partialName(target: string): string {
  return join(dirname(target), `.${basename(target)}${PARTIAL}${process.pid}-${randomBytes(8).toString('hex')}`);
}

/** `open(2)` a new file exclusively: never an existing file, never through a symlink; mode 0600. */
export function openExclusive(path: string): number {
  return openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
}

function openUnnamed(dir: string): number | undefined {
  if (process.platform !== 'linux' || !TMPFILE_ARCHES.has(process.arch) || process.env.STRONGROOM_NO_O_TMPFILE === '1') return undefined;
  try {
    return openSync(dir, LINUX_O_TMPFILE | constants.O_DIRECTORY | constants.O_RDWR, 0o600);
  } catch {
    return undefined; // EOPNOTSUPP (file system), EISDIR/EINVAL (old kernel): use a named partial file
  }
}

/** Give an unnamed file the name `to`: link it through /proc, else copy it into an exclusive file. */
function nameUnnamed(fd: number, to: string): void {
  const ln = LN.find((p) => existsSync(p));
  if (ln) {
    const r = spawnSync(ln, ['-L', '--', '/proc/self/fd/3', to], { stdio: ['ignore', 'ignore', 'ignore', fd] });
    if (r.status === 0 && lstatSync(to, { throwIfNoEntry: false })?.isFile()) return;
  }
  const out = openExclusive(to);
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let pos = 0; ; ) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      for (let off = 0; off < n; ) off += writeSync(out, buf, off, n - off);
      pos += n;
    }
    fsyncSync(out);
  } catch (error) {
    closeSync(out);
    unlinkQuietly(to);
    throw error;
  }
  closeSync(out);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // never created, or already gone
  }
}

function syncDir(dir: string): void {
  try {
    const d = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    // not every platform can fsync a directory; the rename is still atomic
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Remove partial files in `dir` left by a killed CLI run: names of the partial pattern, regular
 * files (never followed through a symlink) owned by this user, whose process no longer exists.
 * @returns the names removed.
 */
export function sweepStalePartials(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const m = PARTIAL_NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[1] ?? m[2]);
    if (pid === process.pid || alive(pid)) continue;
    const path = join(dir, name);
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st?.isFile() || (uid !== undefined && st.uid !== uid)) continue;
    try {
      unlinkSync(path);
      removed.push(name);
    } catch {
      // raced with another sweep, or not ours to remove
    }
  }
  return removed;
}

function ioError(what: string, path: string, cause: unknown): StrongroomError {
  const code = (cause as NodeJS.ErrnoException)?.code;
  const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOSPC' ? 'no space left on the device' : code === 'EROFS' ? 'read-only file system' : code;
  return new StrongroomError('IO_ERROR', `cannot ${what} ${path}${why ? ` (${why})` : ''}; check that ${dirname(path)} is writable`, { cause });
}

/**
 * Open a private output for `target`: bytes written to `stream` appear under `target` only after
 * `commit()`; after a crash or `discard()`, nothing readable remains (see the module comment).
 * @throws StrongroomError IO_ERROR when the directory cannot be written.
 */
export function openPrivateOutput(target: string): PrivateOutput {
  const path = resolve(target);
  const dir = dirname(path);
  // Name the directory itself when it is the problem, not a temporary file inside it.
  const dirStat = statSync(dir, { throwIfNoEntry: false });
  if (!dirStat) throw new StrongroomError('IO_ERROR', `the output directory ${dir} does not exist; create it (mkdir -p ${dir}) or choose another -o`, { details: { reason: 'NO_OUTPUT_DIRECTORY' } });
  if (!dirStat.isDirectory()) throw new StrongroomError('IO_ERROR', `${dir} is not a directory, so ${path} cannot be written there`, { details: { reason: 'NO_OUTPUT_DIRECTORY' } });
  sweepStalePartials(dir);
  const unnamed = openUnnamed(dir);
  let fd: number;
  let named: string | undefined;
  if (unnamed !== undefined) fd = unnamed;
  else {
    named = partialName(path);
    try {
      fd = openExclusive(named);
    } catch (error) {
      throw ioError('create a file next to', path, error);
    }
  }
  const stream = createWriteStream('', { fd, autoClose: false });
  let done = false;
  // The stream owns the descriptor: destroying it closes `fd` (whether or not it was already destroyed
  // by a failed pipeline), so nothing here closes the number a second time — a second close could hit a
  // descriptor the process has reused meanwhile.
  const close = () =>
    new Promise<void>((res) => {
      if (stream.closed) return res();
      stream.once('close', () => res());
      stream.on('error', () => undefined); // a close error after commit/discard changes nothing
      stream.destroy();
    });
  return {
    stream,
    mode: unnamed !== undefined ? 'unnamed' : 'named',
    async commit() {
      if (done) return;
      done = true;
      let name = named;
      try {
        fsyncSync(fd);
        if (name === undefined) {
          name = partialName(path);
          nameUnnamed(fd, name);
        }
        renameSync(name, path);
      } catch (error) {
        if (name !== undefined) unlinkQuietly(name);
        throw ioError('write', path, error);
      } finally {
        await close();
      }
      syncDir(dir);
    },
    async discard() {
      if (done) return;
      done = true;
      await close();
      if (named !== undefined) unlinkQuietly(named);
    },
  };
}

/** Write a whole private file (dev.json, state.json) the same way: 0600, exclusive, renamed into place. */
export async function writePrivateFile(target: string, data: string | Uint8Array): Promise<void> {
  const out = openPrivateOutput(target);
  try {
    await new Promise<void>((res, rej) => out.stream.end(data, (error?: Error | null) => (error ? rej(error) : res())));
    await out.commit();
  } catch (error) {
    await out.discard();
    throw error;
  }
}
