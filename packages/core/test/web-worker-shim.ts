/**
 * A minimal Web Worker (https://html.spec.whatwg.org/multipage/workers.html) for the web build's pool
 * tests on Node, which has no global `Worker`: a module worker from a Blob URL, run on a Node worker
 * thread whose `self` has Node's Web Crypto, `addEventListener('message')` and `postMessage` with a
 * transfer list. A thread that exits without terminate() fires 'error', as a crashed Web Worker does.
 * It counts what it carries, so the tests can see which work reached a worker.
 */
import { resolveObjectURL } from 'node:buffer';
import { Worker as NodeWorker } from 'node:worker_threads';

// Tasks that arrive before the worker's source (read from the Blob asynchronously) wait in `queue`.
const BOOT = `
const { parentPort } = require('node:worker_threads');
const listeners = [];
let queue = [];
const dispatch = (data) => listeners.forEach((fn) => fn({ data }));
globalThis.self = {
  crypto: globalThis.crypto,
  addEventListener: (type, fn) => type === 'message' && listeners.push(fn),
  postMessage: (message, transfer) => parentPort.postMessage(message, transfer),
};
parentPort.on('message', (data) => {
  if (queue === undefined) return dispatch(data);
  if (!data || typeof data.shimSource !== 'string') return void queue.push(data);
  (0, eval)(data.shimSource);
  const waiting = queue;
  queue = undefined;
  waiting.forEach(dispatch);
});
`;

type Listener = (event: { data?: unknown; message?: string; preventDefault(): void }) => void;

export class ShimWorker {
  static readonly all: ShimWorker[] = [];
  /** Messages posted to the worker (tasks), and replies received. */
  posted = 0;
  replied = 0;
  private readonly thread: NodeWorker;
  private readonly listeners = new Map<string, Listener[]>();
  private terminated = false;
  /** Crashed or terminated. */
  dead = false;

  constructor(url: string, options: { type: string; name: string }) {
    if (options.type !== 'module') throw new TypeError('the shim runs module workers only');
    this.thread = new NodeWorker(BOOT, { eval: true, name: options.name });
    this.thread.unref();
    const blob = resolveObjectURL(url);
    if (!blob) throw new TypeError(`no Blob at ${url}`);
    void blob.text().then((shimSource) => this.thread.postMessage({ shimSource }));
    this.thread.on('message', (data) => {
      this.replied++;
      this.fire('message', { data });
    });
    this.thread.on('error', (e) => this.fire('error', { message: e.message }));
    this.thread.on('exit', (code) => {
      if (!this.terminated) this.fire('error', { message: `the worker exited with code ${code}` });
    });
    ShimWorker.all.push(this);
  }

  get busy(): number {
    return this.posted - this.replied;
  }

  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  postMessage(message: unknown, transfer: ArrayBuffer[]): void {
    this.posted++;
    this.thread.postMessage(message, transfer);
  }

  /** Crash the thread as if the worker died (fires 'error'). */
  crash(): void {
    this.dead = true;
    void this.thread.terminate();
  }

  terminate(): void {
    this.terminated = true;
    this.dead = true;
    void this.thread.terminate();
  }

  private fire(type: string, event: { data?: unknown; message?: string }): void {
    for (const l of this.listeners.get(type) ?? []) l({ ...event, preventDefault() {} });
  }
}

/** Install the shim as the global `Worker` (returns the uninstaller). */
export function installWorkerShim(): () => void {
  const g = globalThis as { Worker?: unknown };
  const before = g.Worker;
  g.Worker = ShimWorker;
  return () => {
    if (before === undefined) delete g.Worker;
    else g.Worker = before;
  };
}
