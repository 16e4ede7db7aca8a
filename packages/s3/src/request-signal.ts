/**
 * One abort signal per request of a transfer, each aborted with the transfer's own. An upload keeps up
 * to `queueSize` parts in flight and a download up to `concurrency` ranged GETs (both ≤ 64), and the AWS
 * SDK — like the body readers here — adds an 'abort' listener to the signal each request is given. On
 * one shared signal that is a listener per request in flight, and Node warns from the 11th on
 * (`MaxListenersExceededWarning: Possible EventTarget memory leak detected`) for no leak at all, in the
 * logs of every service that raises the concurrency. Through `requestSignals` the shared signal carries
 * one listener whatever the concurrency, on every runtime (no `node:events` needed).
 */

/** A request's signal, and `release()` to call once the request has settled. */
export interface RequestSignal {
  readonly signal: AbortSignal;
  release(): void;
}

/**
 * Returns a function that hands out a fresh signal per request, aborted (with the same reason) when
 * `shared` aborts; one already aborted if `shared` is.
 */
export function requestSignals(shared: AbortSignal): () => RequestSignal {
  const live = new Set<AbortController>();
  shared.addEventListener(
    'abort',
    () => {
      for (const c of live) c.abort(shared.reason);
      live.clear();
    },
    { once: true },
  );
  return () => {
    const c = new AbortController();
    if (shared.aborted) c.abort(shared.reason);
    else live.add(c);
    return { signal: c.signal, release: () => void live.delete(c) };
  };
}
