/**
 * The CLI's KMS requests: each through provider-kms's `callKms`, so each attempt has the CLI's deadline
 * (env STRONGROOM_TIMEOUT, clients.ts) and reads are retried, while creates and deletes are sent once
 * (AWS KMS API Reference: CreateKey and CreateAlias take no idempotency token, so a retry after a lost
 * answer makes a second key or fails AlreadyExists). A request that gets no answer in time fails with
 * PROVIDER_ERROR reason TIMEOUT; an answered failure is rethrown as the AWS error itself, which the
 * commands explain and exit.ts maps to an exit code by its name.
 */
import { StrongroomError } from '@strongroom/core';
import { callKms, isDeadlineError, type KmsClientLike, type RetryOptions } from '@strongroom/provider-kms';
import { requestTimeoutMs, TIMEOUT_ENV } from './clients';

/** The retry settings of the CLI's KMS providers and admin: the deadline per attempt from env STRONGROOM_TIMEOUT. */
export function cliKmsRetry(): RetryOptions {
  return { attemptTimeoutMs: requestTimeoutMs() };
}

/**
 * Send one KMS command.
 * @param idempotent true for reads (retried), false (default) for creates and deletes (one attempt).
 * @throws StrongroomError PROVIDER_ERROR (reason TIMEOUT) at the deadline, ABORTED on the signal; else the AWS error.
 */
export async function sendKms<T>(client: KmsClientLike, operation: string, command: unknown, options: { abortSignal?: AbortSignal | undefined; idempotent?: boolean; keyId?: string } = {}): Promise<T> {
  try {
    return await callKms<T>(client, operation, options.keyId ?? '', command, options.abortSignal, cliKmsRetry(), {
      idempotent: options.idempotent === true,
      mapError: (error, attempts) =>
        isDeadlineError(error)
          ? new StrongroomError('PROVIDER_ERROR', `KMS ${operation}${options.keyId ? ` for ${options.keyId}` : ''}: no answer within ${cliKmsRetry().attemptTimeoutMs} ms (${attempts === 1 ? 'one attempt' : `${attempts} attempts`}; a hung or unreachable endpoint); if it is only slow, raise env ${TIMEOUT_ENV} (seconds)`, { cause: error, details: { operation, attempts } })
          : new StrongroomError('PROVIDER_ERROR', `KMS ${operation}: ${(error as Error)?.message ?? String(error)}`, { cause: error }),
    });
  } catch (e) {
    // An answered failure: hand the AWS error itself to the caller.
    if (StrongroomError.isInstance(e, 'PROVIDER_ERROR') && e.details?.reason !== 'TIMEOUT' && e.cause !== undefined && !isDeadlineError(e.cause)) throw e.cause;
    throw e;
  }
}
