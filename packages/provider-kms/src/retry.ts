/**
 * Retries for KMS calls: exponential backoff with full jitter
 * (delay = random() × min(maxDelay, base × 2^(attempt−1))), for throttling, KMS internal errors,
 * dependency timeouts, any 5xx and network errors. Wrapping `send` ourselves (rather than relying
 * on the SDK's retry strategy) keeps the behaviour the same for caller-supplied clients.
 *
 * Clock skew: AWS refuses a request signed more than 5 minutes from its clock
 * (InvalidSignatureException "Signature expired"; AWS General Reference, "Signature Version 4
 * signing process"). The AWS SDK then corrects the client's `systemClockOffset` from the response's
 * `Date` header (and marks `$metadata.clockSkewCorrected`), but only retries when it has attempts
 * left — our clients run with `maxAttempts: 1`. So a skew refusal is retried here once, at once,
 * outside the attempt budget.
 */
import { StrongroomError } from '@strongroom/core';

/** Retry settings: attempts and backoff bounds (full jitter); random source and sleep are injectable. */
export interface RetryOptions {
  /** Total attempts including the first. Default 5. */
  readonly maxAttempts?: number;
  /** Base delay in ms. Default 50. */
  readonly baseDelayMs?: number;
  /** Cap on one delay in ms. Default 5000. */
  readonly maxDelayMs?: number;
  /** Injectable randomness in [0, 1) for the jitter. */
  readonly random?: () => number;
  /**
   * Deadline of one attempt in ms (default 10,000): a KMS endpoint that accepted the connection and
   * never answers (a hung or stopped peer) fails that attempt with `TimeoutError`, which is retried
   * like a network error — KMS's cryptographic calls change nothing, so a repeat is safe.
   */
  readonly attemptTimeoutMs?: number;
  /** Injectable sleep (tests make it instant). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'KMSInternalException',
  'DependencyTimeoutException',
  'InternalFailure',
  'ServiceUnavailable',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

const SKEW_NAMES = new Set(['RequestTimeTooSkewed', 'RequestExpired', 'RequestInTheFuture', 'SignatureExpired']);

/** True when a KMS call failed because the request time was too far from the server's clock. */
export function isClockSkewError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: string; message?: string; $metadata?: { clockSkewCorrected?: unknown } };
  if (e.$metadata?.clockSkewCorrected === true) return true;
  if (e.name !== undefined && SKEW_NAMES.has(e.name)) return true;
  return e.name === 'InvalidSignatureException' && typeof e.message === 'string' && /signature expired|clock|skew/i.test(e.message);
}

/** True when a failed KMS call may succeed if repeated. */
export function isRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown; cause?: unknown };
  if (e.name === 'AbortError') return false;
  if (e.name !== undefined && RETRYABLE_NAMES.has(e.name)) return true;
  if (e.$retryable) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  if (e.code !== undefined && NETWORK_CODES.has(e.code)) return true;
  return e.cause !== undefined && e.cause !== error && isRetryable(e.cause);
}

function abortError(signal: AbortSignal): StrongroomError {
  return new StrongroomError('ABORTED', 'The operation was aborted', { cause: signal.reason });
}

export function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Run `attempt` until it succeeds, fails permanently, runs out of attempts or is aborted.
 * On failure it throws a `RetryExhausted` carrying the last error and the attempt count.
 */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  options: RetryOptions = {},
  abortSignal?: AbortSignal,
): Promise<{ value: T; attempts: number }> {
  const maxAttempts = options.maxAttempts ?? 5;
  const base = options.baseDelayMs ?? 50;
  const cap = options.maxDelayMs ?? 5000;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? defaultSleep;
  let skewRetried = false;
  let maxAttemptsBonus = 0;
  for (let n = 1; ; n++) {
    if (abortSignal?.aborted) throw abortError(abortSignal);
    try {
      return { value: await attempt(), attempts: n };
    } catch (error) {
      if (abortSignal?.aborted) throw abortError(abortSignal);
      // Once, whatever the budget: the SDK has corrected its clock offset from the server's Date.
      if (!skewRetried && isClockSkewError(error)) {
        skewRetried = true;
        maxAttemptsBonus++;
        continue;
      }
      if (n >= maxAttempts + maxAttemptsBonus || !isRetryable(error)) throw new RetryExhausted(error, n);
      await sleep(random() * Math.min(cap, base * 2 ** (n - 1)), abortSignal);
    }
  }
}

/** Carries the last error and the number of attempts made out of withRetry. */
export class RetryExhausted {
  constructor(
    readonly error: unknown,
    readonly attempts: number,
  ) {}
}
