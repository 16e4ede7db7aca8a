/**
 * createWorkerPool on the web entry. It checks its options at once and returns the pool; the pool's
 * code (./web-worker-pool.ts, ./pool-core.ts, the worker body) is loaded, and the workers started,
 * when the first task arrives. In a browser bundle that code is then a chunk of its own, which apps
 * without a pool (no `pool`, no `parallelism`) never load. A runtime that refuses to start a worker
 * from a Blob URL (a Content-Security-Policy without `worker-src blob:`) fails that first task, and
 * every later one, with UNSUPPORTED.
 */
import type { Done, WorkerPool, WorkerPoolOptions } from './pool-core';
import { closedError, poolRunner, poolSize, registerRunner } from './pool-handle';
import { hasWebWorkers, noWebWorkers, type WebGlobals } from './web-worker-support';

/**
 * Create a pool of `size` Web Workers (default: `navigator.hardwareConcurrency`), started on first use.
 * @throws StrongroomError UNSUPPORTED where the runtime has no Web Workers; INVALID_ARGUMENT for a size
 *   that is not an integer from 1 to 256.
 */
export function createWorkerPool(options: WorkerPoolOptions = {}): WorkerPool {
  if (!hasWebWorkers()) throw noWebWorkers('createWorkerPool');
  const size = poolSize(options, Math.max(1, (globalThis as WebGlobals).navigator?.hardwareConcurrency ?? 2));
  let started: Promise<WorkerPool> | undefined;
  let closed = false;
  const start = () => (started ??= import('./web-worker-pool').then((m) => m.startWorkerPool(size)));
  const pool: WorkerPool = {
    size,
    async close() {
      closed = true;
      const running = await started?.catch(() => undefined);
      await running?.close();
    },
  };
  registerRunner(pool, {
    size,
    async run<R extends Done>(task: object, transfer: readonly ArrayBuffer[]): Promise<R> {
      if (closed) throw closedError();
      // A pool closed while its code loaded is closed by then: its run() rejects with ABORTED.
      return poolRunner(await start()).run<R>(task, transfer);
    },
  });
  return pool;
}
