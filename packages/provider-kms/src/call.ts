/**
 * One KMS request as every Strongroom package makes it (the providers here, the custom key store
 * provider and its administration): the caller's AbortSignal passed to `send`, a deadline per attempt
 * (`retry.attemptTimeoutMs`, default 10 s), retries with backoff for transient failures and timeouts
 * (retry.ts) — only for calls whose repeat is harmless — and the final AWS error mapped to a
 * StrongroomError (errors.ts, or the caller's mapping). AWS KMS API Reference, "Common Errors" and
 * the per-operation error lists name the exceptions mapped.
 */
import { StrongroomError, throwIfAborted } from '@strongroom/core';
import type { KmsClientLike } from './client-supplier';
import { toStrongroomError } from './errors';
import { RetryExhausted, withRetry, type RetryOptions } from './retry';

/** How {@link callKms} treats one call beyond the retry settings. */
export interface CallKmsOptions {
  /**
   * False for a call whose repeat is not harmless (CreateKey makes a second key; KMS takes no
   * idempotency token): one attempt, still bounded by its deadline, so a timeout leaves the outcome
   * unknown rather than doubled. Default true.
   */
  readonly idempotent?: boolean;
  /** Turn the last error (after `attempts` attempts) into a StrongroomError; default: the KMS mapping naming `keyId`. */
  readonly mapError?: (error: unknown, attempts: number) => StrongroomError;
}

/**
 * Send `command` with `client`, each attempt bounded by `retry.attemptTimeoutMs`; resolves the
 * response, rejects with a StrongroomError (a timeout: PROVIDER_ERROR with `details.reason` TIMEOUT).
 * @example
 * const out = await callKms<{ KeyMetadata?: { Arn?: string } }>(client, 'DescribeKey', keyId, new DescribeKeyCommand({ KeyId: keyId }), signal, { attemptTimeoutMs: 2000 });
 */
export async function callKms<T>(
  client: KmsClientLike,
  operation: string,
  keyId: string,
  command: unknown,
  abortSignal: AbortSignal | undefined,
  retry: RetryOptions | undefined,
  how: CallKmsOptions = {},
): Promise<T> {
  throwIfAborted(abortSignal);
  const timeoutMs = retry?.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new StrongroomError('INVALID_ARGUMENT', `retry.attemptTimeoutMs: must be a positive number of milliseconds, not ${String(timeoutMs)}`);
  const mapError = how.mapError ?? ((error: unknown, attempts: number) => toStrongroomError(error, operation, keyId, attempts));
  const settings: RetryOptions = how.idempotent === false ? { ...retry, maxAttempts: 1 } : (retry ?? {});
  try {
    const { value } = await withRetry(() => attemptWithDeadline<T>(client, operation, command, abortSignal, timeoutMs), settings, abortSignal);
    return value;
  } catch (e) {
    if (e instanceof RetryExhausted) {
      if (abortSignal?.aborted) throw new StrongroomError('ABORTED', 'The operation was aborted', { cause: e.error });
      throw withTimeoutReason(mapError(e.error, e.attempts), e.error);
    }
    throw withTimeoutReason(mapError(e, 1), e);
  }
}

/** Mark a deadline failure in `details.reason`, so callers can tell "no answer" from a refusal. */
function withTimeoutReason(error: StrongroomError, cause: unknown): StrongroomError {
  if (!isDeadlineError(cause) || error.details?.reason !== undefined) return error;
  return new StrongroomError(error.code, error.message, { cause: error.cause, details: { ...error.details, reason: 'TIMEOUT' } });
}

/** True for the error an attempt fails with when its deadline passed (see attemptWithDeadline). */
export function isDeadlineError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { [DEADLINE]?: unknown })[DEADLINE] === true;
}

const DEADLINE = Symbol.for('strongroom.kms-deadline');

const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;

/**
 * One `send` bounded by a deadline: the SDK gets a signal that fires on the caller's abort or at the
 * deadline (and cancels the HTTP request), and the wait itself is raced against the deadline, so even
 * a caller-supplied client that ignores signals cannot hang the operation.
 */
function attemptWithDeadline<T>(client: KmsClientLike, operation: string, command: unknown, abortSignal: AbortSignal | undefined, timeoutMs: number): Promise<T> {
  const deadline = new AbortController();
  const signal = abortSignal ? AbortSignal.any([abortSignal, deadline.signal]) : deadline.signal;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = Object.assign(new Error(`no answer from KMS to ${operation} within ${timeoutMs} ms (a hung or unreachable endpoint); set retry.attemptTimeoutMs to change the deadline`), { name: 'TimeoutError', [DEADLINE]: true });
      deadline.abort(error);
      reject(error);
    }, timeoutMs);
    (client.send(command, { abortSignal: signal }) as Promise<T>).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
