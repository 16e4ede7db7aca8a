/**
 * What a client and createWorkerPool need of a pool (Node or web) without the pool logic
 * (./pool-core.ts): the runner behind a pool, its size check, its "closed" error. On the web entry
 * the pool logic is then a chunk of its own in a browser bundle, loaded only by apps that use a pool
 * (./web-pool-handle.ts).
 */
import { StrongroomError } from '../errors';
import type { PoolRunner, WorkerPool, WorkerPoolOptions } from './pool-core';

const runners = new WeakMap<WorkerPool, PoolRunner>();

/** Record `runner` as the one behind `pool` (./pool-core.ts, when it starts a pool). */
export function registerRunner(pool: WorkerPool, runner: PoolRunner): void {
  runners.set(pool, runner);
}

/** The runner behind a pool from createWorkerPool; INVALID_ARGUMENT for anything else. */
export function poolRunner(pool: unknown): PoolRunner {
  const runner = typeof pool === 'object' && pool !== null ? runners.get(pool as WorkerPool) : undefined;
  if (!runner) throw new StrongroomError('INVALID_ARGUMENT', 'pool: expected a pool from createWorkerPool()');
  return runner;
}

/** The pool size from the options: `fallback` by default; INVALID_ARGUMENT unless an integer from 1 to 256. */
export function poolSize(options: WorkerPoolOptions, fallback: number): number {
  const size = options.size ?? fallback;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > 256) {
    throw new StrongroomError('INVALID_ARGUMENT', `createWorkerPool: size: expected an integer from 1 to 256, got ${String(size)}`);
  }
  return size;
}

/** The error of work given to a closed pool. */
export function closedError(): StrongroomError {
  return new StrongroomError('ABORTED', 'The worker pool was closed: create a new pool (createWorkerPool) for further work');
}
