import { StrongroomError } from '@strongroom/core';
import { describe, expect, it } from 'vitest';
import { isRetryable, RetryExhausted, withRetry } from './retry';

const err = (name: string, status = 400, extra = {}) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, ...extra });

describe('retry', () => {
  it('classifies KMS errors', () => {
    expect(isRetryable(err('ThrottlingException'))).toBe(true);
    expect(isRetryable(err('KMSInternalException', 500))).toBe(true);
    expect(isRetryable(err('DependencyTimeoutException', 503))).toBe(true);
    expect(isRetryable(err('Unknown', 502))).toBe(true);
    expect(isRetryable(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryable(err('AccessDeniedException'))).toBe(false);
    expect(isRetryable(err('InvalidCiphertextException'))).toBe(false);
    expect(isRetryable(err('AbortError'))).toBe(false);
  });

  it('backs off with full jitter and gives up after maxAttempts', async () => {
    const delays: number[] = [];
    let calls = 0;
    const failure = await withRetry(
      async () => {
        calls++;
        throw err('ThrottlingException');
      },
      { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 250, random: () => 0.5, sleep: async (ms) => void delays.push(ms) },
    ).catch((e: unknown) => e);
    expect(calls).toBe(4);
    expect(delays).toEqual([50, 100, 125]);
    expect(failure).toBeInstanceOf(RetryExhausted);
    expect((failure as RetryExhausted).attempts).toBe(4);
  });

  it('does not retry permanent errors, and stops on abort', async () => {
    let calls = 0;
    await expect(withRetry(async () => (calls++, Promise.reject(err('AccessDeniedException'))), { sleep: async () => {} })).rejects.toBeInstanceOf(RetryExhausted);
    expect(calls).toBe(1);
    const controller = new AbortController();
    const aborted = withRetry(
      async () => {
        controller.abort();
        throw err('ThrottlingException');
      },
      { sleep: async () => {} },
      controller.signal,
    );
    await expect(aborted).rejects.toSatisfy((e: unknown) => StrongroomError.isInstance(e, 'ABORTED'));
  });
});
