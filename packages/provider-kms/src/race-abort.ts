/**
 * Wait for a shared promise, but stop waiting when this caller's AbortSignal fires (DOM Standard,
 * "AbortSignal"); the shared work goes on for the other waiters.
 */
import { StrongroomError } from '@strongroom/core';

function aborted(signal: AbortSignal): StrongroomError {
  return new StrongroomError('ABORTED', 'The operation was aborted', { cause: signal.reason });
}

export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(aborted(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
