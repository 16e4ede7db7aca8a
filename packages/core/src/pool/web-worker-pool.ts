/**
 * The web build's worker pool: Web Workers (https://html.spec.whatwg.org/multipage/workers.html)
 * that seal and open batches of frames with Web Crypto, for any number of clients at once. Each
 * worker is a module worker started from a Blob URL of ./web-worker-body.ts's source, so a bundler
 * needs no configuration and no separate file is served. The pool logic (dispatch, failure, close)
 * is ./pool-core.ts, shared with the Node build. A runtime without a global `Worker` (Cloudflare
 * Workers / workerd) gets UNSUPPORTED.
 */
import { StrongroomError } from '../errors';
import { startPool, type WorkerPool } from './pool-core';
import { webPoolWorkerMain } from './web-worker-body';
import { readBatchFrame } from './worker-batch';
import type { WebGlobals } from './web-worker-support';

/** The part of a Web Worker the pool uses, typed structurally (no DOM library needed). */
export interface WebWorker {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  terminate(): void;
  addEventListener(type: 'message' | 'error' | 'messageerror', listener: (event: { readonly data?: unknown; readonly message?: string; preventDefault?(): void }) => void): void;
}


/** The source a pool worker runs: the worker body, called with its global scope and the batch reader. */
export const WEB_POOL_WORKER_SOURCE = `(${webPoolWorkerMain.toString()})(self, ${readBatchFrame.toString()});\n`;


/**
 * Start a pool of `size` Web Workers (the options were checked by ./web-pool-handle.ts's
 * createWorkerPool, which loads this module on the pool's first task).
 * @throws StrongroomError UNSUPPORTED where the runtime refuses to start a worker from a Blob URL.
 */
export function startWorkerPool(size: number): WorkerPool {
  const g = globalThis as unknown as WebGlobals & Required<Pick<WebGlobals, 'Worker' | 'Blob'>>;
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
