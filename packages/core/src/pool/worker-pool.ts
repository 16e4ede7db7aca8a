/**
 * createWorkerPool: a fixed number of Node worker threads
 * (https://nodejs.org/api/worker_threads.html) that seal and open batches of frames, generate the
 * one-time ECDSA keys of signed messages and sign them, for any number of clients at once. Work goes
 * to the worker with the fewest tasks in flight. Idle workers never keep the process alive (they are
 * unref'd while nothing is in flight).
 *
 * Failure: a worker that exits or throws fails every task it held with INTERNAL (nothing it held is
 * released by the streams: they fail at that batch) and is replaced by a new worker. `close()`
 * rejects in-flight and later work with ABORTED and terminates the workers.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { StrongroomError } from '../errors';
import type { PoolReply, PoolRequest, PoolTask } from './protocol';
import { POOL_WORKER_SOURCE } from './worker-body';

/** Options of {@link createWorkerPool}. */
export interface WorkerPoolOptions {
  /** Number of worker threads (1 … 256). Default: the number of CPUs the process may use. */
  size?: number;
}

/** A pool of worker threads, shared by any number of clients (`createClient({ pool })`). */
export interface WorkerPool {
  /** Number of worker threads. */
  readonly size: number;
  /** Terminate the workers; work in flight and later work fail with ABORTED. Idempotent. */
  close(): Promise<void>;
}

/** What the clients use (kept off the public object). */
export interface PoolRunner {
  readonly size: number;
  run(task: PoolTask, transfer: readonly ArrayBuffer[]): Promise<Extract<PoolReply, { ok: true }>>;
}

interface Pending {
  resolve(reply: Extract<PoolReply, { ok: true }>): void;
  reject(error: unknown): void;
}

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

const runners = new WeakMap<WorkerPool, PoolRunner>();
const slotsOf = new WeakMap<WorkerPool, () => readonly PoolWorkerState[]>();

/** A worker and the number of tasks it holds (for tests). */
export interface PoolWorkerState {
  readonly worker: Worker;
  readonly busy: number;
}

/**
 * Create a pool of `size` worker threads.
 * @throws StrongroomError INVALID_ARGUMENT for a size that is not an integer from 1 to 256.
 */
export function createWorkerPool(options: WorkerPoolOptions = {}): WorkerPool {
  const size = options.size ?? availableParallelism();
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > 256) {
    throw new StrongroomError('INVALID_ARGUMENT', `createWorkerPool: size: expected an integer from 1 to 256, got ${String(size)}`);
  }
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  function spawn(): Slot {
    const worker = new Worker(POOL_WORKER_SOURCE, { eval: true, name: 'strongroom-pool' });
    worker.unref();
    const slot: Slot = { worker, pending: new Map() };
    worker.on('message', (reply: PoolReply) => {
      const pending = slot.pending.get(reply.id);
      if (!pending) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) worker.unref();
      if (reply.ok) pending.resolve(reply);
      else pending.reject(new StrongroomError(reply.code, reply.message));
    });
    worker.on('error', (e) => lost(slot, `threw ${(e as Error)?.message ?? String(e)}`, e));
    worker.on('exit', (code) => lost(slot, `exited with code ${code}`, undefined));
    return slot;
  }

  /** A worker is gone: fail what it held, replace it. */
  function lost(slot: Slot, why: string, cause: unknown): void {
    const index = slots.indexOf(slot);
    if (index < 0) return;
    slots.splice(index, 1);
    const error = new StrongroomError('INTERNAL', `A worker of the pool ${why}; the operation failed and nothing after its last verified frame was released. The pool has started a new worker: retry the operation`, { cause });
    for (const p of slot.pending.values()) p.reject(error);
    slot.pending.clear();
    if (!closed) slots.push(spawn());
  }

  for (let i = 0; i < size; i++) slots.push(spawn());

  const runner: PoolRunner = {
    size,
    run(task, transfer) {
      if (closed) return Promise.reject(closedError());
      let slot = slots[0]!;
      for (const s of slots) if (s.pending.size < slot.pending.size) slot = s;
      const id = nextId++;
      return new Promise((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        slot.worker.ref();
        slot.worker.postMessage({ ...task, id } satisfies PoolRequest, transfer as ArrayBuffer[]);
      });
    },
  };

  const pool: WorkerPool = {
    size,
    async close() {
      if (closed) return;
      closed = true;
      const error = closedError();
      const gone = slots.splice(0);
      for (const slot of gone) {
        for (const p of slot.pending.values()) p.reject(error);
        slot.pending.clear();
      }
      await Promise.all(gone.map((slot) => slot.worker.terminate()));
    },
  };
  runners.set(pool, runner);
  slotsOf.set(pool, () => slots.map((s) => ({ worker: s.worker, busy: s.pending.size })));
  return pool;
}

function closedError(): StrongroomError {
  return new StrongroomError('ABORTED', 'The worker pool was closed: create a new pool (createWorkerPool) for further work');
}

/** The runner behind a pool from createWorkerPool; INVALID_ARGUMENT for anything else. */
export function poolRunner(pool: unknown): PoolRunner {
  const runner = typeof pool === 'object' && pool !== null ? runners.get(pool as WorkerPool) : undefined;
  if (!runner) throw new StrongroomError('INVALID_ARGUMENT', 'pool: expected a pool from createWorkerPool()');
  return runner;
}

/** The pool's current workers (for tests that make one fail; not exported by the package). */
export function poolWorkers(pool: WorkerPool): readonly PoolWorkerState[] {
  return slotsOf.get(pool)?.() ?? [];
}
