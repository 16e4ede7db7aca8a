/**
 * One KMS request as every provider in this package makes it: the caller's AbortSignal passed to
 * `send`, a deadline per attempt (`retry.attemptTimeoutMs`, default 10 s), retries with backoff for
 * transient failures and timeouts (retry.ts), and the final AWS error mapped to a StrongroomError
 * (errors.ts). AWS KMS API Reference, "Common Errors" and the per-operation
 * error lists name the exceptions mapped.
 */
import { StrongroomError, throwIfAborted } from '@strongroom/core';
import type { KmsClientLike } from './client-supplier';
import { toStrongroomError } from './errors';
import { RetryExhausted, withRetry, type RetryOptions } from './retry';

/** Send `command` with `client`; resolves the response, rejects with a StrongroomError. */
export async function callKms<T>(
  client: KmsClientLike,
  operation: string,
  keyId: string,
  command: unknown,
  abortSignal: AbortSignal | undefined,
  retry: RetryOptions | undefined,
): Promise<T> {
  throwIfAborted(abortSignal);
  const timeoutMs = retry?.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new StrongroomError('INVALID_ARGUMENT', `retry.attemptTimeoutMs: must be a positive number of milliseconds, not ${String(timeoutMs)}`);
  try {
    const { value } = await withRetry(() => attemptWithDeadline<T>(client, operation, command, abortSignal, timeoutMs), retry, abortSignal);
    return value;
  } catch (e) {
    if (e instanceof RetryExhausted) {
      if (abortSignal?.aborted) throw new StrongroomError('ABORTED', 'The operation was aborted', { cause: e.error });
      throw toStrongroomError(e.error, operation, keyId, e.attempts);
    }
    throw toStrongroomError(e, operation, keyId, 1);
  }
}

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
      const error = Object.assign(new Error(`no answer from KMS to ${operation} within ${timeoutMs} ms (a hung or unreachable endpoint); set retry.attemptTimeoutMs to change the deadline`), { name: 'TimeoutError' });
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
