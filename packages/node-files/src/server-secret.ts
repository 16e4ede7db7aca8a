/**
 * How a server binary takes a secret from its operator without putting it on its own command line,
 * where every local user can read it (`ps`, /proc/<pid>/cmdline — proc(5),
 * https://man7.org/linux/man-pages/man5/proc.5.html). In this order:
 *
 * 1. a file named by the `--…-file` flag: at most 64 KiB, one trailing newline dropped, a warning on
 *    stderr when its group or other users may read it (fstat(2) mode bits);
 * 2. the argv flag itself, kept for scripts, with a warning on stderr that `ps` shows it;
 * 3. an environment variable;
 * 4. a prompt on the terminal with echo off (raw mode: termios(3) without ECHO), when the caller asks
 *    for one and stdin is a TTY.
 *
 * Used by both local servers (kms-local, hsm-local); the CLI's own secret reader shares the prompt
 * (`promptHiddenLine`).
 */
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { StrongroomError } from '@strongroom/core';
import { readUntilEndSync } from './bounded-read';

/** The largest secret file read (64 KiB): a larger file is refused, not truncated. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/** Where one secret may come from: its name for messages, the argv flag, the file flag, the environment variable, and whether to prompt. */
export interface ServerSecretSpec {
  /** For messages and the prompt: "the secret access key". */
  readonly what: string;
  /** The argv flag (`--secret-access-key`) and its value, if given. */
  readonly argvFlag: string;
  readonly argv?: string | undefined;
  /** The file flag (`--secret-access-key-file`) and its value, if given. */
  readonly fileFlag: string;
  readonly file?: string | undefined;
  /** The environment variable read when neither flag is given. */
  readonly env: string;
  /** Prompt on a TTY when nothing else gives the secret. */
  readonly prompt: boolean;
}

/** The terminal a prompt reads from (process.stdin, or a fake one in tests); raw mode is used when it has it. */
export interface PromptInput {
  readonly isTTY?: boolean;
  /** Turn echo and line editing off (true) or back on (false); absent on a stream that is not a terminal. */
  setRawMode?(mode: boolean): unknown;
  /** Receive typed characters. */
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  /** Stop receiving them. */
  removeListener(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  /** Start reading. */
  resume(): unknown;
  /** Stop reading (so the process can exit). */
  pause(): unknown;
}

/** Where {@link readServerSecret} reads and writes: the program name for warnings, the environment, the terminal, stderr. */
export interface ServerSecretIo {
  readonly program: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly input: PromptInput;
  /** Where prompts and warnings go (stderr). */
  readonly output: {
    /** Write a prompt or a warning line. */
    write(text: string): unknown;
  };
}

/** How long a secret read from a pipe or FIFO waits for its writer and for the end of what it writes (30 s). */
export const SECRET_PIPE_DEADLINE_MS = 30_000;

/**
 * The bytes of a secret file, at most {@link MAX_SECRET_FILE_BYTES}, with a warning on `io.output`
 * when its group or other users may read it. The read buffer is wiped whether the read succeeds or
 * not; the returned copy is the caller's to wipe. A symbolic link at `path` is followed, by the CLI
 * and the servers alike: the path is the operator's, whoever can put a link there can put a file
 * there, and a Kubernetes secret mount (`key -> ..data/key`) or `<(command)` (/dev/fd/N) is one. The
 * size cap, the directory refusal and the permission warning apply to what the link leads to.
 *
 * A pipe or FIFO (`<(command)`, `mkfifo`) is read to its end, but never waited on without a bound: the
 * file is opened with O_NONBLOCK (open(2): a FIFO's open for reading then returns at once, with or
 * without a writer, https://man7.org/linux/man-pages/man2/open.2.html) and read until its writer
 * closes it; a writer that has not come, or has not finished, within `deadlineMs` (default
 * {@link SECRET_PIPE_DEADLINE_MS}) fails the read instead of hanging the program.
 * @throws StrongroomError IO_ERROR (unreadable, or a pipe with nothing written by the deadline),
 *   INVALID_ARGUMENT (a directory, too large).
 */
export function readSecretFileBytes(
  path: string,
  flag: string,
  io: Pick<ServerSecretIo, 'program' | 'output'>,
  deadlineMs: number = SECRET_PIPE_DEADLINE_MS,
): Buffer {
  const cannotRead = (error: unknown) =>
    new StrongroomError('IO_ERROR', `${flag} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    throw cannotRead(error);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new StrongroomError('INVALID_ARGUMENT', `${flag} ${path}: is a directory`);
    if (st.isFile() && (st.mode & 0o044) !== 0) {
      io.output.write(`${io.program}: warning: ${flag} ${path} is readable by ${st.mode & 0o004 ? 'every user' : 'its group'}; chmod 600 ${path}\n`);
    }
    const buf = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1);
    try {
      const { n, timedOut } = readUntilEndSync(fd, buf, { fifo: st.isFIFO(), deadline: Date.now() + deadlineMs });
      if (n > MAX_SECRET_FILE_BYTES) throw new StrongroomError('INVALID_ARGUMENT', `${flag} ${path}: larger than ${MAX_SECRET_FILE_BYTES} bytes`);
      if (timedOut) {
        throw new StrongroomError(
          'IO_ERROR',
          `${flag} ${path}: ${n === 0 ? 'nothing was written to it' : 'its writer did not finish'} within ${deadlineMs / 1000} s (a pipe or FIFO: start its writer, or name a regular file)`,
          { details: { path, reason: 'PIPE_TIMEOUT' } },
        );
      }
      return Buffer.from(buf.subarray(0, n));
    } finally {
      buf.fill(0); // also when the file was too large or the writer too slow: what was read is wiped
    }
  } catch (error) {
    throw StrongroomError.isInstance(error) ? error : cannotRead(error);
  } finally {
    closeSync(fd);
  }
}

/**
 * A server's secret file as text (one trailing newline dropped), read as {@link readSecretFileBytes} does.
 * @throws StrongroomError as {@link readSecretFileBytes}.
 */
export function readServerSecretFile(path: string, flag: string, io: Pick<ServerSecretIo, 'program' | 'output'>): string {
  const bytes = readSecretFileBytes(path, flag, io);
  try {
    return bytes.toString('utf8').replace(/\r?\n$/, '');
  } finally {
    bytes.fill(0);
  }
}

/** One line from the terminal without echo. Ctrl-C aborts (ABORTED); Enter or Ctrl-D ends. */
export function promptHiddenLine(prompt: string, io: Pick<ServerSecretIo, 'input' | 'output'>): Promise<string> {
  const { input, output } = io;
  return new Promise((resolve, reject) => {
    let value = '';
    const raw = typeof input.setRawMode === 'function';
    const finish = (error?: Error) => {
      input.removeListener('data', onData);
      if (raw) input.setRawMode!(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new StrongroomError('ABORTED', 'interrupted at the prompt'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    // Echo off before the prompt shows: a user (or a script) who types as soon as the prompt
    // appears must never see the terminal echo the first characters of the secret.
    if (raw) input.setRawMode!(true);
    output.write(prompt);
    input.on('data', onData);
    input.resume();
  });
}

/**
 * The secret, or undefined when none was given (and no prompt was asked for or possible).
 * @throws StrongroomError INVALID_ARGUMENT (both flags, or an empty secret), IO_ERROR (file).
 */
export async function readServerSecret(spec: ServerSecretSpec, io: ServerSecretIo = { program: 'strongroom', env: process.env, input: process.stdin, output: process.stderr }): Promise<string | undefined> {
  if (spec.file !== undefined && spec.argv !== undefined) {
    throw new StrongroomError('INVALID_ARGUMENT', `give ${spec.fileFlag} or ${spec.argvFlag}, not both`);
  }
  let value: string | undefined;
  if (spec.file !== undefined) value = readServerSecretFile(spec.file, spec.fileFlag, io);
  else if (spec.argv !== undefined) {
    io.output.write(`${io.program}: warning: ${spec.argvFlag} is visible to every local user (ps); use ${spec.env} or ${spec.fileFlag} FILE\n`);
    value = spec.argv;
  } else if (io.env[spec.env]) value = io.env[spec.env];
  else if (spec.prompt && io.input.isTTY) value = await promptHiddenLine(`${spec.what}: `, io);
  if (value !== undefined && value.length === 0) throw new StrongroomError('INVALID_ARGUMENT', `${spec.what}: empty`);
  return value;
}
