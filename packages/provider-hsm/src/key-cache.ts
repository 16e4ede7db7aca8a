/**
 * A cached label → HsmKeyRef lookup shared by HsmKeyProvider, HsmSigner and HsmMac.
 *
 * Concurrent callers share one lookup (so no caller's abortSignal is passed to it); a failed lookup
 * is retried on the next call; and a call that fails with KEY_UNAVAILABLE on a stale reference (key
 * re-created, or handles renumbered after the HSM dropped and renewed the login) looks the label
 * up again and retries once. Only use it for calls that are safe to repeat.
 */
import { StrongroomError, throwIfAborted } from '@strongroom/core';
import type { HsmBackend, HsmKeyRef } from './backend';

export interface KeyCache {
  withKey<T>(abortSignal: AbortSignal | undefined, fn: (key: HsmKeyRef) => Promise<T>): Promise<T>;
}

export function createKeyCache(
  backend: HsmBackend,
  query: { label: string; class: 'secret' | 'private' | 'public'; owner?: string | undefined },
  check: (key: HsmKeyRef) => void,
): KeyCache {
  let current: Promise<HsmKeyRef> | undefined;

  function lookup(): Promise<HsmKeyRef> {
    if (!current) {
      const pending = backend.findKey(query).then((key) => {
        if (!key) throw new StrongroomError('KEY_UNAVAILABLE', `HSM ${backend.id}: no ${query.class} key labelled ${JSON.stringify(query.label)}`);
        check(key);
        return key;
      });
      current = pending;
      pending.catch(() => forget(pending));
    }
    return current;
  }

  function forget(pending: Promise<HsmKeyRef>): void {
    if (current === pending) current = undefined;
  }

  return {
    async withKey(abortSignal, fn) {
      const pending = lookup();
      const key = await pending;
      throwIfAborted(abortSignal);
      try {
        return await fn(key);
      } catch (error) {
        if (!StrongroomError.isInstance(error, 'KEY_UNAVAILABLE')) throw error;
        forget(pending);
        const fresh = await lookup();
        if (fresh.handle === key.handle) throw error;
        throwIfAborted(abortSignal);
        return fn(fresh);
      }
    },
  };
}
