/**
 * How the CLI takes a secret (docs/cli.md#secrets): never from its own command line, where every
 * user sees it (`ps`, /proc/<pid>/cmdline — proc(5), https://man7.org/linux/man-pages/man5/proc.5.html).
 * In this order:
 *
 * 1. a file named by a `--…-file` flag: at most 64 KiB, one trailing newline dropped, and a warning on
 *    stderr when group or other users may read it (fstat(2) mode bits);
 * 2. an environment variable;
 * 3. a prompt on the terminal, with echo off (raw mode: termios(3) without ECHO), when stdin is a TTY.
 *
 * Otherwise a usage error lists the three ways.
 */
import { promptHiddenLine, readSecretFileBytes, type PromptInput } from '@strongroom/node-files';
import { UsageError } from './exit';

export interface SecretIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly input: PromptInput;
  /** stderr: prompts and warnings. */
  readonly output: { write(text: string): unknown };
}

export interface SecretSpec {
  /** For messages and the prompt: "the new password of HSM user carol". */
  readonly what: string;
  /** The `--…-file` flag and its value, if given. */
  readonly fileFlag: string;
  readonly file?: string | undefined;
  /** The environment variable to read. */
  readonly env: string;
}

const defaultIo = (): SecretIo => ({ env: process.env, input: process.stdin, output: process.stderr });

/**
 * Read a secret file: size-capped, warning on stderr when other users may read it; a symbolic link
 * is followed (as by the servers: `readSecretFileBytes` in @strongroom/node-files).
 * @throws StrongroomError IO_ERROR (unreadable), INVALID_ARGUMENT (a directory, too large).
 */
export function readSecretFile(path: string, flag: string, output: SecretIo['output'] = process.stderr): Buffer {
  return readSecretFileBytes(path, flag, { program: 'strongroom', output });
}

/**
 * The secret from `--…-file`, else env, else a no-echo prompt on a TTY.
 * @throws UsageError when none is available; StrongroomError from {@link readSecretFile}.
 */
export async function readSecret(spec: SecretSpec, io: SecretIo = defaultIo()): Promise<string> {
  let value: string | undefined;
  if (spec.file !== undefined) value = readSecretFile(spec.file, spec.fileFlag, io.output).toString('utf8').replace(/\r?\n$/, '');
  else if (io.env[spec.env]) value = io.env[spec.env]!;
  else if (io.input.isTTY) value = await promptHiddenLine(`${spec.what}: `, io);
  else throw new UsageError(`${spec.what}: give it in a file (${spec.fileFlag} FILE), in env ${spec.env}, or run on a terminal to be prompted — never on the command line`);
  if (value.length === 0) throw new UsageError(`${spec.what}: empty`);
  return value;
}
