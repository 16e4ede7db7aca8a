/**
 * Where a cluster client's node calls go (./client): load balancing and failover over the node links.
 *
 * - Each operation goes to the healthy node with the fewest requests in flight, preferring nodes in
 *   the client's AZ (rotating among equals).
 * - A connection failure, a tampered or throttled node, a key not (yet) on the chosen node, or an
 *   internal error makes the call retry on another node. Once every healthy node was tried, a last
 *   failure that was not a connection failure is the answer (e.g. the key is on no node); after a
 *   connection failure the call waits for a node to come back and tries again, `failoverTimeoutMs`
 *   in all.
 * - A call pinned to one node (a session key lives on the node that made it) never moves.
 */
import { StrongroomError, throwIfAborted } from '@strongroom/core';
import { failureReason, type HsmArgs, type HsmOp, type HsmResult } from '@strongroom/hsm-protocol';
import type { HsmCallOptions } from '../backend';
import { isConnectionError, type NodeLink } from './node-link';

/** Runs operations on the cluster's nodes. */
export interface Router {
  /** Run an operation on some healthy node (or only on `only`), failing over on retryable errors; says which node answered. */
  run<Op extends HsmOp>(op: Op, args: HsmArgs<Op>, o: HsmCallOptions | undefined, only?: NodeLink): Promise<{ value: HsmResult<Op>; link: NodeLink }>;
}

/** Errors after which another node may succeed. */
function retryable(e: unknown): boolean {
  if (isConnectionError(e)) return true;
  if (!StrongroomError.isInstance(e)) return false;
  const reason = failureReason(e);
  return reason === 'TAMPERED' || reason === 'THROTTLED' || e.code === 'KEY_UNAVAILABLE' || e.code === 'INTERNAL';
}

export function createRouter(links: readonly NodeLink[], options: { readonly az?: string | undefined; readonly failoverTimeoutMs: number }): Router {
  let waiters: Array<() => void> = [];
  for (const l of links) {
    l.onChange(() => {
      if (l.healthy) {
        const w = waiters;
        waiters = [];
        w.forEach((f) => f());
      }
    });
  }

  let rr = 0;
  function pick(exclude: Set<NodeLink>): NodeLink | undefined {
    let best: NodeLink | undefined;
    let bestScore = Infinity;
    const n = links.length;
    rr = (rr + 1) % n;
    for (let i = 0; i < n; i++) {
      const l = links[(rr + i) % n]!;
      if (!l.healthy || exclude.has(l)) continue;
      // Same-AZ nodes first, then the least loaded.
      const score = (options.az && l.az !== options.az ? 1_000_000 : 0) + l.inFlight();
      if (score < bestScore) {
        best = l;
        bestScore = score;
      }
    }
    return best;
  }

  /** True once some node is healthy, false after `ms` or on abort. */
  function waitForHealthy(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (links.some((l) => l.healthy)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => done(false), ms);
      const done = (v: boolean) => {
        clearTimeout(t);
        signal?.removeEventListener('abort', onAbort);
        resolve(v);
      };
      const onAbort = () => done(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      waiters.push(() => done(true));
    });
  }

  async function run<Op extends HsmOp>(op: Op, args: HsmArgs<Op>, o: HsmCallOptions | undefined, only?: NodeLink): Promise<{ value: HsmResult<Op>; link: NodeLink }> {
    const signal = o?.abortSignal;
    const tried = new Set<NodeLink>();
    let lastError: unknown;
    const deadline = Date.now() + options.failoverTimeoutMs;
    for (;;) {
      throwIfAborted(signal);
      const link = only ? (only.healthy && !tried.has(only) ? only : undefined) : pick(tried);
      if (!link) {
        if (only) break;
        // Every healthy node has been tried: if the last failure was "key not there", that is the answer.
        if (lastError && !isConnectionError(lastError) && tried.size > 0 && links.every((l) => !l.healthy || tried.has(l))) break;
        const left = deadline - Date.now();
        if (left <= 0 || !(await waitForHealthy(left, signal))) break;
        tried.clear();
        continue;
      }
      tried.add(link);
      try {
        return { value: await link.call(op, args, signal), link };
      } catch (e) {
        if (!retryable(e)) throw e;
        lastError = e;
      }
    }
    throwIfAborted(signal);
    if (StrongroomError.isInstance(lastError)) throw lastError;
    throw new StrongroomError('PROVIDER_ERROR', `no hsm node could run ${op}`, { cause: lastError, details: { reason: 'CONNECTION' } });
  }

  return { run };
}
