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
    if (isAwsError(error)) return (error as { name: string }).name.startsWith('NoSuch') || /NotFound/.test((error as Error).name) ? EXIT.KEY : EXIT.BACKEND;
    if ((error as Error)?.name === 'AbortError') return EXIT.INTERRUPTED;
    const code = (error as NodeJS.ErrnoException)?.code;
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT') return EXIT.BACKEND;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOSPC' || code === 'EPIPE') return EXIT.BACKEND;
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

/** The one line printed for an error (no stack, no secrets: messages never carry key material). */
export function formatError(error: unknown): string {
  if (error instanceof UsageError) return `${oneLine(error.message)} (see --help)`;
  if (StrongroomError.isInstance(error)) {
    let message = oneLine(error.message);
    const hint = HINTS[error.code];
    if (hint && !message.includes(hint)) message += ` — ${hint}`;
    if (error.code === 'PROVIDER_ERROR' && error.details?.reason === 'CONNECTION' && !/strongroom dev/.test(message)) {
      message += ' — is the dev stack running? (`strongroom dev`)';
    }
    return `${message} [${error.code}]`;
  }
  const e = error as NodeJS.ErrnoException;
  if (isAwsError(error)) return `${e.name}: ${oneLine(e.message || 'request failed')}`;
  if (e?.name === 'AbortError') return 'interrupted';
  if (e?.code === 'ECONNREFUSED') return `connection refused (${oneLine(e.message)}) — is the dev stack running? (\`strongroom dev\`)`;
  if (e?.code === 'ENOENT' && e.path) return `no such file: ${e.path}`;
  if (e?.code === 'EACCES' && e.path) return `permission denied: ${e.path}`;
  if (e?.code === 'EISDIR' && e.path) return `is a directory: ${e.path}`;
  return oneLine(e?.message ?? String(error)) + ' (unexpected; rerun with --verbose and report it)';
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
