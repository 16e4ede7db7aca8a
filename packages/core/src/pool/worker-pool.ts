/**
 * createWorkerPool for Node: a fixed number of Node worker threads
 * (https://nodejs.org/api/worker_threads.html) that seal and open batches of frames, generate the
 * one-time ECDSA keys of signed messages and sign them, for any number of clients at once. The pool
 * logic (dispatch, failure, close) is ./pool-core.ts, shared with the web build's Web Worker pool.
 * Idle workers never keep the process alive (they are unref'd while nothing is in flight).
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { poolRunner, poolSize, poolWorkerStates, startPool, type PoolRunner, type PoolWorkerState, type WorkerPool, type WorkerPoolOptions } from './pool-core';
import type { MemoryDone, NodeRequest } from './node-protocol';
import { POOL_WORKER_SOURCE } from './worker-body';

export { poolRunner, type PoolRunner, type WorkerPool, type WorkerPoolOptions };

/**
 * Create a pool of `size` worker threads.
 * @throws StrongroomError INVALID_ARGUMENT for a size that is not an integer from 1 to 256.
 */
export function createWorkerPool(options: WorkerPoolOptions = {}): WorkerPool {
  const size = poolSize(options, availableParallelism());
  return startPool<Worker>(size, (events) => {
    const worker = new Worker(POOL_WORKER_SOURCE, { eval: true, name: 'strongroom-pool' });
    worker.unref();
    worker.on('message', (reply) => events.reply(reply));
    worker.on('error', (e) => events.lost(`threw ${(e as Error)?.message ?? String(e)}`, e));
    worker.on('exit', (code) => events.lost(`exited with code ${code}`, undefined));
    return {
      handle: worker,
      post: (message, transfer) => worker.postMessage(message, transfer as ArrayBuffer[]),
      busy: (busy) => void (busy ? worker.ref() : worker.unref()),
      terminate: () => worker.terminate(),
    };
  });
}

/** The pool's current workers (for tests that make one fail; not exported by the package). */
export function poolWorkers(pool: WorkerPool): readonly PoolWorkerState<Worker>[] {
  return poolWorkerStates<Worker>(pool);
}

let memoryIds = 0;

/** Each worker's own memory figures, asked of each worker directly (tests: where a pooled stream's memory is). */
export function poolWorkerMemory(pool: WorkerPool): Promise<MemoryDone[]> {
  return Promise.all(
    poolWorkers(pool).map(
      ({ worker }) =>
        new Promise<MemoryDone>((resolve) => {
          const id = -++memoryIds; // no task of the pool has a negative id: the pool ignores this reply
          const listen = (reply: MemoryDone) => {
            if (reply.id !== id) return;
            worker.off('message', listen);
            resolve(reply);
          };
          worker.on('message', listen);
          worker.postMessage({ op: 'memory', id } satisfies NodeRequest);
        }),
    ),
  );
}
