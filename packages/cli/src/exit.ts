/**
 * Exit codes and one-line error messages of the `strongroom` command (docs/cli.md#errors-and-exit-codes).
 * Every failure prints one line — what went wrong and what to do — and `--verbose` adds the stack
 * and the cause chain.
 */
import { StrongroomError } from '@strongroom/core';

/** The CLI's exit codes, stable across releases (docs/cli.md#errors-and-exit-codes). */
export const EXIT = {
  OK: 0,
  /** Unexpected failure (a bug): report it with --verbose output. */
  INTERNAL: 1,
  /** Bad command line: unknown option, bad key URI, bad --context, missing argument. */
  USAGE: 2,
  /** The key cannot be used: no such key, no config, access denied, no provider could decrypt. */
  KEY: 3,
  /** The data was rejected: corrupted or tampered input, wrong encryption context, not a message. */
  DATA: 4,
  /** A backend or file could not be reached or written (dev stack down, I/O error). */
  BACKEND: 5,
  /** The feature is not available (e.g. cks before issue 6, PKCS#11 without SoftHSM). */
  UNAVAILABLE: 6,
  /** Interrupted (Ctrl-C). */
  INTERRUPTED: 130,
  /** The reader of stdout went away (`| head`): 128 + SIGPIPE, as a shell reports a process killed by it; nothing printed. */
  BROKEN_PIPE: 141,
} as const;

/** One of the values of {@link EXIT}. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A command-line usage error (exit 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const HINTS: Partial<Record<string, string>> = {
  NO_DECRYPTION_KEY: 'decrypt with the key (--key) that encrypted it',
  ENCRYPTION_CONTEXT: 'pass the same --context k=v pairs that were used to encrypt',
  AUTHENTICATION_FAILED: 'the input is corrupted or was tampered with',
  MALFORMED: 'the input is not a Strongroom/AWS Encryption SDK message, or it is truncated',
  COMMITMENT_POLICY: 'the message uses a suite the commitment policy refuses',
};

/**
 * The exit code for an error, from its `StrongroomError` code (anything else is `INTERNAL`).
 *
 * @example
 * ```ts
 * try { await run(); } catch (error) { process.exitCode = exitCodeFor(error); }
 * ```
 */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT.USAGE;
  if ((error as { code?: string })?.code?.startsWith?.('commander.')) return EXIT.USAGE;
  if (!StrongroomError.isInstance(error)) {
    if (isAwsError(error)) {
      const name = (error as { name: string }).name;
      // The request itself was malformed (a value the service refuses): a usage error, not an outage.
      if (name === 'ValidationException' || name === 'InvalidArgument' || name === 'InvalidBucketName') return EXIT.USAGE;
      return name.startsWith('NoSuch') || /NotFound/.test(name) ? EXIT.KEY : EXIT.BACKEND;
    }
    if ((error as Error)?.name === 'AbortError') return EXIT.INTERRUPTED;
    // The AWS SDK transport's deadline (connect, or a socket silent for STRONGROOM_TIMEOUT): the backend did not answer.
    if ((error as Error)?.name === 'TimeoutError') return EXIT.BACKEND;
    const code = (error as NodeJS.ErrnoException)?.code;
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT') return EXIT.BACKEND;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOSPC' || code === 'ENOTDIR' || code === 'EPIPE') return EXIT.BACKEND;
    return EXIT.INTERNAL;
  }
  switch (error.code) {
    case 'INVALID_ARGUMENT':
      return EXIT.USAGE;
    case 'KEY_UNAVAILABLE':
    case 'ACCESS_DENIED':
    case 'NO_DECRYPTION_KEY':
      return EXIT.KEY;
    case 'AUTHENTICATION_FAILED':
    case 'MALFORMED':
    case 'ENCRYPTION_CONTEXT':
    case 'COMMITMENT_POLICY':
    case 'LIMIT_EXCEEDED':
      return EXIT.DATA;
    case 'PROVIDER_ERROR':
    case 'IO_ERROR':
      return EXIT.BACKEND;
    case 'UNSUPPORTED':
      return EXIT.UNAVAILABLE;
    case 'ABORTED':
      return EXIT.INTERRUPTED;
    default:
      return EXIT.INTERNAL;
  }
}

/** An AWS SDK service error (S3, KMS): has `$fault` and `$metadata`. */
function isAwsError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && '$fault' in error && '$metadata' in error;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** One line for a hint, unless the message already says it (no "— is the dev stack running? — is the dev stack running?"). */
function withHint(message: string, hint: string, already: RegExp | string = hint): string {
  const said = typeof already === 'string' ? message.includes(already) : already.test(message);
  return said ? message : `${message} — ${hint}`;
}

/** The direct causes of an error: an AggregateError's errors, or its one cause. */
function causes(error: { cause?: unknown }): unknown[] {
  const cause = error.cause;
  if (cause instanceof AggregateError) return [...cause.errors];
  return cause === undefined || cause === null ? [] : [cause];
}

/** One attempt's failure, short: message and code (provider messages never carry key material). */
function reasonOf(error: unknown): string {
  const e = error as { message?: unknown; name?: unknown };
  const message = oneLine(typeof e?.message === 'string' ? e.message : String(error));
  const code = StrongroomError.isInstance(error) ? error.code : typeof e?.name === 'string' ? e.name : 'Error';
  return `${message.length > 200 ? `${message.slice(0, 197)}…` : message} [${code}]`;
}

const DEV_STACK_HINT = 'is the dev stack running? (`strongroom dev`)';
const DEV_STACK_SAID = /dev stack running|strongroom dev\b/;

/**
 * The one line printed for an error (no stack, no secrets: messages never carry key material). It
 * always ends with a code in brackets: the StrongroomError code, the AWS error name, the errno code,
 * `USAGE` or `INTERNAL` — what to search docs/errors.md or the AWS documentation for.
 */
export function formatError(error: unknown): string {
  if (error instanceof UsageError) return `${oneLine(error.message)} (see --help) [USAGE]`;
  if (StrongroomError.isInstance(error)) {
    let message = oneLine(error.message);
    const hint = HINTS[error.code];
    if (hint) message = withHint(message, hint);
    if (error.code === 'NO_DECRYPTION_KEY' && !/\btried\b/.test(message)) {
      const reasons = causes(error).map(reasonOf);
      if (reasons.length > 0) message += `; tried: ${reasons.join('; ')}`;
    }
    if (error.code === 'PROVIDER_ERROR' && error.details?.reason === 'CONNECTION') message = withHint(message, DEV_STACK_HINT, DEV_STACK_SAID);
    return `${message} [${error.code}]`;
  }
  const e = error as NodeJS.ErrnoException;
  if (isAwsError(error)) return `${oneLine(e.message || 'request failed')} [${e.name}]`;
  if (e?.name === 'AbortError') return 'interrupted [ABORTED]';
  if (e?.name === 'TimeoutError') return `${oneLine(e.message)} — the endpoint did not answer in time; if it is only slow, raise env STRONGROOM_TIMEOUT (seconds) [TimeoutError]`;
  if (e?.code === 'ECONNREFUSED') return `connection refused (${oneLine(e.message).replace(/^connect ECONNREFUSED /, '')}) — ${DEV_STACK_HINT} [ECONNREFUSED]`;
  if (e?.code === 'ENOENT' && e.path) return `no such file: ${e.path} [ENOENT]`;
  if (e?.code === 'ENOTDIR' && e.path) return `not a directory: ${e.path} [ENOTDIR]`;
  if (e?.code === 'EACCES' && e.path) return `permission denied: ${e.path} [EACCES]`;
  if (e?.code === 'EISDIR' && e.path) return `is a directory: ${e.path} [EISDIR]`;
  if (e?.code === 'ENOSPC') return `no space left on the device${e.path ? ` holding ${e.path}` : ''} [ENOSPC]`;
  return `${oneLine(e?.message ?? String(error))} (unexpected; rerun with --verbose and report it) [${typeof e?.code === 'string' && /^E[A-Z]+$/.test(e.code) ? e.code : 'INTERNAL'}]`;
}

/** Stack and cause chain, for --verbose. */
export function formatVerbose(error: unknown): string {
  const lines: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    lines.push(depth === 0 ? String((e as Error).stack ?? e) : `caused by: ${String((e as Error).stack ?? e)}`);
    e = (e as { cause?: unknown }).cause;
  }
  return lines.join('\n');
}
