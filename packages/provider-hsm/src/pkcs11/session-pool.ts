/**
 * A bounded pool of PKCS#11 sessions (PKCS#11 v2.40 base spec §5.6 "Session management"; §2.6.7:
 * one session runs one cryptographic operation at a time, so concurrent callers need one session
 * each). With the `*Async` pkcs11js calls the operations of different sessions run in parallel on
 * the libuv threadpool; the library must be initialized with CKF_OS_LOCKING_OK for that.
 *
 * Sessions are opened lazily up to `max`; further callers wait in FIFO order. A session whose call
 * failed with a session-level error is closed instead of being reused.
 */
import { StrongroomError, throwIfAborted } from '@strongroom/core';

export interface SessionPoolOptions<S> {
  open(): S;
  close(session: S): void;
  /** Maximum concurrently open sessions (≥ 1). */
  max: number;
  /** Decides whether a session that threw may be reused. */
  isFatal(error: unknown): boolean;
}

export interface SessionPool<S> {
  /** Run `fn` with exclusive use of one session. */
  use<T>(fn: (session: S) => Promise<T> | T, abortSignal?: AbortSignal): Promise<T>;
  /** Sessions currently open (idle + busy). */
  readonly size: number;
  /** Callers waiting for a session. */
  readonly waiting: number;
  /** Close idle sessions, wait for busy ones, then refuse new work. */
  close(): Promise<void>;
}

interface Waiter<S> {
  resolve(session: S): void;
  reject(error: unknown): void;
}

export function createSessionPool<S>(options: SessionPoolOptions<S>): SessionPool<S> {
  if (!Number.isInteger(options.max) || options.max < 1) {
    throw new StrongroomError('INVALID_ARGUMENT', `maxSessions: must be an integer ≥ 1, got ${options.max}`);
  }
  const idle: S[] = [];
  const waiters: Waiter<S>[] = [];
  let open = 0;
  let busy = 0;
  let closed = false;
  let onIdle: (() => void) | undefined;

  function acquire(signal: AbortSignal | undefined): Promise<S> {
    throwIfAborted(signal);
    if (closed) return Promise.reject(new StrongroomError('PROVIDER_ERROR', 'PKCS#11 client is closed'));
    const ready = idle.pop();
    if (ready !== undefined) return Promise.resolve(ready);
    if (open < options.max) {
      open += 1;
      try {
        return Promise.resolve(options.open());
      } catch (error) {
        open -= 1;
        return Promise.reject(error);
      }
    }
    return new Promise<S>((resolve, reject) => {
      const waiter: Waiter<S> = {
        resolve: (s) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(s);
        },
        reject,
      };
      const onAbort = () => {
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
        reject(new StrongroomError('ABORTED', 'The operation was aborted', { cause: signal?.reason }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.push(waiter);
    });
  }

  function release(session: S, discard: boolean): void {
    if (discard || closed) {
      open -= 1;
      try {
        options.close(session);
      } catch {
        // The session is already unusable; closing it is best effort.
      }
      // A slot became free: let the next waiter open a fresh session.
      const next = waiters.shift();
      if (next) {
        open += 1;
        try {
          next.resolve(options.open());
        } catch (error) {
          open -= 1;
          next.reject(error);
        }
      }
    } else {
      const next = waiters.shift();
      if (next) next.resolve(session);
      else idle.push(session);
    }
  }

  return {
    async use(fn, abortSignal) {
      const session = await acquire(abortSignal);
      busy += 1;
      let discard = false;
      try {
        return await fn(session);
      } catch (error) {
        discard = options.isFatal(error);
        throw error;
      } finally {
        busy -= 1;
        release(session, discard);
        if (busy === 0) onIdle?.();
      }
    },
    get size() {
      return open;
    },
    get waiting() {
      return waiters.length;
    },
    async close() {
      closed = true;
      for (const w of waiters.splice(0)) w.reject(new StrongroomError('PROVIDER_ERROR', 'PKCS#11 client is closed'));
      if (busy > 0) await new Promise<void>((resolve) => (onIdle = resolve));
      for (const s of idle.splice(0)) {
        open -= 1;
        try {
          options.close(s);
        } catch {
          // best effort on shutdown
        }
      }
    },
  };
}
