/**
 * createWorkerPool for the web build: Web Workers (https://html.spec.whatwg.org/multipage/workers.html)
 * that seal and open batches of frames with Web Crypto, for any number of clients at once. Each
 * worker is a module worker started from a Blob URL of ./web-worker-body.ts's source, so a bundler
 * needs no configuration and no separate file is served. The pool logic (dispatch, failure, close)
 * is ./pool-core.ts, shared with the Node build. A runtime without a global `Worker` (Cloudflare
 * Workers / workerd) gets UNSUPPORTED.
 */
import { StrongroomError } from '../errors';
import { poolSize, startPool, type WorkerPool, type WorkerPoolOptions } from './pool-core';
import { webPoolWorkerMain } from './web-worker-body';
import { readBatchFrame } from './worker-batch';

/** The part of a Web Worker the pool uses, typed structurally (no DOM library needed). */
export interface WebWorker {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  terminate(): void;
  addEventListener(type: 'message' | 'error' | 'messageerror', listener: (event: { readonly data?: unknown; readonly message?: string; preventDefault?(): void }) => void): void;
}
type WorkerConstructor = new (url: string, options: { type: 'module'; name: string }) => WebWorker;

interface WebGlobals {
  Worker?: WorkerConstructor;
  navigator?: { hardwareConcurrency?: number };
  Blob?: new (parts: string[], options: { type: string }) => object;
  URL?: { createObjectURL?(blob: object): string; revokeObjectURL?(url: string): void };
}

/** The source a pool worker runs: the worker body, called with its global scope and the batch reader. */
export const WEB_POOL_WORKER_SOURCE = `(${webPoolWorkerMain.toString()})(self, ${readBatchFrame.toString()});\n`;

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

/**
 * Create a pool of `size` Web Workers (default: `navigator.hardwareConcurrency`).
 * @throws StrongroomError UNSUPPORTED where the runtime has no Web Workers; INVALID_ARGUMENT for a size
 *   that is not an integer from 1 to 256.
 */
export function createWorkerPool(options: WorkerPoolOptions = {}): WorkerPool {
  if (!hasWebWorkers()) throw noWebWorkers('createWorkerPool');
  const g = globalThis as unknown as WebGlobals & Required<Pick<WebGlobals, 'Worker' | 'Blob'>>;
  const size = poolSize(options, Math.max(1, g.navigator?.hardwareConcurrency ?? 2));
  const url = g.URL!.createObjectURL!(new g.Blob([WEB_POOL_WORKER_SOURCE], { type: 'text/javascript' }));
  const revoke = () => g.URL!.revokeObjectURL?.(url);
  try {
    return startPool<WebWorker>(
      size,
      (events) => {
        let worker: WebWorker;
        try {
          worker = new g.Worker(url, { type: 'module', name: 'strongroom-pool' });
        } catch (e) {
          throw new StrongroomError('UNSUPPORTED', `This runtime refused to start a Web Worker from a Blob URL (a Content-Security-Policy without \`worker-src blob:\`?): ${(e as Error)?.message ?? String(e)}`, { cause: e });
        }
        worker.addEventListener('message', (event) => events.reply(event.data as Parameters<typeof events.reply>[0]));
        worker.addEventListener('error', (event) => {
          event.preventDefault?.();
          events.lost(`threw ${event.message ?? 'an error'}`, event);
        });
        worker.addEventListener('messageerror', (event) => events.lost('could not read a message', event));
        return {
          handle: worker,
          post: (message, transfer) => worker.postMessage(message, transfer as ArrayBuffer[]),
          busy: () => undefined,
          terminate: () => worker.terminate(),
        };
      },
      revoke,
    );
  } catch (e) {
    revoke();
    throw e;
  }
}
