/**
 * Reading a batch's `meta` (layout: ./protocol.ts) inside a worker, for both transports' worker
 * bodies (./worker-body.ts, ./web-worker-body.ts). Like them it is shipped as source text and run in
 * the worker, so it uses no outer name and no syntax a bundler might lower with a helper.
 */

/** One frame of a batch, as {@link readBatchFrame} fills it; `next` is where the following frame starts in `meta`. */
export interface BatchFrame {
  length: number;
  iv: Uint8Array;
  aad: Uint8Array;
  prefix: Uint8Array;
  next: number;
}

/** Read the frame at `frame.next` in `meta` into `frame` (views of `meta`, no copy) and advance `frame.next`. */
export function readBatchFrame(meta: Uint8Array, frame: BatchFrame): void {
  const m = frame.next;
  const length = ((meta[m]! << 24) | (meta[m + 1]! << 16) | (meta[m + 2]! << 8) | meta[m + 3]!) >>> 0;
  const aadLength = (meta[m + 16]! << 8) | meta[m + 17]!;
  const prefixLength = (meta[m + 18]! << 8) | meta[m + 19]!;
  const aadAt = m + 20;
  frame.length = length;
  frame.iv = meta.subarray(m + 4, m + 16);
  frame.aad = meta.subarray(aadAt, aadAt + aadLength);
  frame.prefix = meta.subarray(aadAt + aadLength, aadAt + aadLength + prefixLength);
  frame.next = aadAt + aadLength + prefixLength;
}
