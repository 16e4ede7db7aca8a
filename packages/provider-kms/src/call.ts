/**
 * One KMS request as every provider in this package makes it: the caller's AbortSignal passed to
 * `send`, retries with backoff for transient failures (retry.ts), and the final AWS error mapped to
 * a StrongroomError (errors.ts). AWS KMS API Reference, "Common Errors" and the per-operation
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
  try {
    const { value } = await withRetry(() => client.send(command, abortSignal ? { abortSignal } : undefined) as Promise<T>, retry, abortSignal);
    return value;
  } catch (e) {
    if (e instanceof RetryExhausted) {
      if (abortSignal?.aborted) throw new StrongroomError('ABORTED', 'The operation was aborted', { cause: e.error });
      throw toStrongroomError(e.error, operation, keyId, e.attempts);
    }
    throw toStrongroomError(e, operation, keyId, 1);
  }
}
