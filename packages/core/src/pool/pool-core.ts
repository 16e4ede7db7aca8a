/**
 * The transport-independent half of a worker pool, shared by the Node build (./worker-pool.ts, Node
 * `worker_threads`) and the web build (./web-worker-pool.ts, Web Workers): a fixed number of workers,
 * work sent to the one with the fewest tasks in flight, replies matched to requests by id.
 *
 * Failure: a worker that is lost (it exits, throws or cannot take a message) fails every task it held
 * with INTERNAL (nothing it held is released by the streams: they fail at that batch) and is replaced
 * by a new worker. `close()` rejects in-flight and later work with ABORTED and terminates the workers.
 */
import { StrongroomError } from '../errors';
import { closedError, poolRunner, poolSize, registerRunner } from './pool-handle';
import type { TaskReply } from './protocol';

/** Options of `createWorkerPool`. */
export interface WorkerPoolOptions {
  /** Number of workers (1 … 256). Default: the number of CPUs the runtime reports. */
  size?: number;
}

/** A pool of workers, shared by any number of clients (`createClient({ pool })`). */
export interface WorkerPool {
  /** Number of workers. */
  readonly size: number;
  /** Terminate the workers; work in flight and later work fail with ABORTED. Idempotent. */
  close(): Promise<void>;
}

export type Done = Extract<TaskReply, { ok: true }>;

/** What the clients use (kept off the public object). */
export interface PoolRunner {
  readonly size: number;
  /** Run a task on the least busy worker. `R` is the reply its `op` is answered with (see ./protocol.ts). */
  run<R extends Done>(task: object, transfer: readonly ArrayBuffer[]): Promise<R>;
}

/** One worker, as a transport wraps it for the pool. */
export interface PoolWorker<H> {
  /** The transport's own object (for tests that make a worker fail). */
  readonly handle: H;
  post(message: object, transfer: readonly ArrayBuffer[]): void;
  /** Called when the worker goes from no task in flight to some (`true`) and back (`false`). */
  busy(busy: boolean): void;
  terminate(): unknown;
}

/** How a transport reports what its worker did. */
export interface WorkerEvents {
  reply(reply: TaskReply): void;
  /** The worker is gone or unusable (`why`: "exited with code 1", "threw …"). */
  lost(why: string, cause: unknown): void;
}

/** A worker and the number of tasks it holds (for tests). */
export interface PoolWorkerState<H> {
  readonly worker: H;
  readonly busy: number;
}

interface Pending {
  resolve(reply: Done): void;
  reject(error: unknown): void;
}

interface Slot<H> {
  readonly worker: PoolWorker<H>;
  readonly pending: Map<number, Pending>;
  answered: boolean;
}

const statesOf = new WeakMap<WorkerPool, () => readonly PoolWorkerState<unknown>[]>();

export { poolSize };

/** Start `size` workers with `spawn`; `cleanup` runs once after close() terminated them. */
export function startPool<H>(size: number, spawn: (events: WorkerEvents) => PoolWorker<H>, cleanup?: () => void): WorkerPool {
  const slots: Slot<H>[] = [];
  let nextId = 1;
  let closed = false;
  /** Workers lost before they answered anything, since the last answer: past `size`, stop replacing them. */
  let lostUnanswered = 0;
  let startFailure: unknown;

  function add(): void {
    // The slot exists before its worker so that events during spawn() find it.
    const holder: { slot?: Slot<H> } = {};
    const worker = spawn({
      reply: (reply) => holder.slot && settle(holder.slot, reply),
      lost: (why, cause) => holder.slot && lost(holder.slot, why, cause),
    });
    holder.slot = { worker, pending: new Map(), answered: false };
    slots.push(holder.slot);
  }

  function settle(slot: Slot<H>, reply: TaskReply): void {
    const pending = slot.pending.get(reply.id);
    if (!pending) return;
    slot.pending.delete(reply.id);
    slot.answered = true;
    lostUnanswered = 0;
    if (slot.pending.size === 0) slot.worker.busy(false);
    if (reply.ok) pending.resolve(reply);
    else pending.reject(new StrongroomError(reply.code, reply.message));
  }

  /** A worker is gone: fail what it held, replace it. */
  function lost(slot: Slot<H>, why: string, cause: unknown): void {
    const index = slots.indexOf(slot);
    if (index < 0) return;
    slots.splice(index, 1);
    const error = new StrongroomError(
      'INTERNAL',
      `A worker of the pool ${why}; the operation failed and nothing after its last verified frame was released. The pool has started a new worker: retry the operation`,
      { cause },
    );
    for (const p of slot.pending.values()) p.reject(error);
    slot.pending.clear();
    void Promise.resolve()
      .then(() => slot.worker.terminate())
      .catch(() => undefined);
    if (!slot.answered) lostUnanswered++;
    if (closed) return;
    if (lostUnanswered > size) {
      // Workers that die before answering (a worker script the runtime refuses, say) would be replaced forever.
      startFailure = error;
      return;
    }
    try {
      add();
    } catch (e) {
      startFailure = e;
    }
  }

  try {
    for (let i = 0; i < size; i++) add();
  } catch (e) {
    for (const slot of slots.splice(0)) void Promise.resolve(slot.worker.terminate()).catch(() => undefined);
    throw e;
  }

  const runner: PoolRunner = {
    size,
    run<R extends Done>(task: object, transfer: readonly ArrayBuffer[]): Promise<R> {
      if (closed) return Promise.reject(closedError());
      if (slots.length === 0) {
        const message = 'The worker pool has no worker left: its workers failed before answering and could not be replaced (see the cause); create a new pool';
        return Promise.reject(new StrongroomError('INTERNAL', message, { cause: startFailure }));
      }
      let slot = slots[0]!;
      for (const s of slots) if (s.pending.size < slot.pending.size) slot = s;
      const id = nextId++;
      return new Promise<R>((resolve, reject) => {
        if (slot.pending.size === 0) slot.worker.busy(true);
        slot.pending.set(id, { resolve: resolve as (reply: Done) => void, reject });
        try {
          slot.worker.post({ ...task, id }, transfer);
        } catch (e) {
          slot.pending.delete(id);
          if (slot.pending.size === 0) slot.worker.busy(false);
          reject(new StrongroomError('INTERNAL', `The worker pool could not send a task to a worker: ${(e as Error)?.message ?? String(e)}`, { cause: e }));
        }
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
      cleanup?.();
    },
  };
  registerRunner(pool, runner);
  statesOf.set(pool, () => slots.map((s) => ({ worker: s.worker.handle, busy: s.pending.size })));
  return pool;
}


export { poolRunner };

/** The pool's current workers (for tests that make one fail; not exported by the package). */
export function poolWorkerStates<H>(pool: WorkerPool): readonly PoolWorkerState<H>[] {
  return (statesOf.get(pool)?.() ?? []) as readonly PoolWorkerState<H>[];
}
