/**
 * Whether this runtime can start Web Workers (apart from ./web-worker-pool.ts, so that a web client
 * checks its options without loading the pool's code).
 */
import { StrongroomError } from '../errors';
import type { WebWorker } from './web-worker-pool';

type WorkerConstructor = new (url: string, options: { type: 'module'; name: string }) => WebWorker;

/** The globals a Web Worker pool needs, typed structurally (no DOM library needed). */
export interface WebGlobals {
  Worker?: WorkerConstructor;
  navigator?: { hardwareConcurrency?: number };
  Blob?: new (parts: string[], options: { type: string }) => object;
  URL?: { createObjectURL?(blob: object): string; revokeObjectURL?(url: string): void };
}

/** True where the runtime can start a Web Worker from a Blob URL. */
export function hasWebWorkers(): boolean {
  const g = globalThis as WebGlobals;
  return typeof g.Worker === 'function' && typeof g.Blob === 'function' && typeof g.URL?.createObjectURL === 'function';
}

/** UNSUPPORTED for a runtime without Web Workers (what asked for them: `what`). */
export function noWebWorkers(what: string): StrongroomError {
  return new StrongroomError(
    'UNSUPPORTED',
    `${what}: this runtime has no Web Workers (a global \`Worker\` started from a Blob URL; Cloudflare Workers have none): drop the pool option (or use parallelism: 1) to run on the calling thread`,
  );
}
