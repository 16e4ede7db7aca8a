/**
 * Decrypting a response body in place of a stream pipeline: the HTTP response's own chunks go
 * through a synchronous step (GCM `update`, or a frame reader) straight into the Readable the caller
 * gets — no Transform in between (its writable half queues, calls back and ticks once per chunk), no
 * async generators (two promises per chunk). Backpressure is Node's: the response is paused while the
 * pump holds `QUEUE_LIMIT` bytes the consumer has not taken, and resumed as it takes them.
 * Node stream contract: https://nodejs.org/api/stream.html#implementing-a-readable-stream
 * (`_read`, `push`, `_destroy`) and https://nodejs.org/api/stream.html#streamfinishedstream-options-callback.
 *
 * The output pushes pieces outside `read()` calls and holds one at a time (a high-water mark of one
 * byte), so a consumer's `read()` gets each piece as it is rather than a concatenation (a copy).
 */
import { finished, Readable } from 'node:stream';
import { StrongroomError } from '@strongroom/core';
import { toSdkStream, type SdkReadable } from './body';

/** What turns ciphertext chunks into plaintext pieces. */
export interface PumpSteps {
  /** Bytes of the response; returns the plaintext they release (may be none). Throws to fail the stream. */
  write(chunk: Buffer): readonly Uint8Array[];
  /** The response ended; returns the last plaintext. Throws to fail the stream (bad tag, truncation). */
  end(): readonly Uint8Array[];
  /** The stream ended early or failed: drop held plaintext and keys (called at most once). */
  abort?(): void;
  /** Runs once when the stream is finished, ended or failed (after `abort` when it failed). */
  cleanup?(): void;
}

/**
 * Plaintext decrypted ahead of the consumer before the response is paused: a few socket reads, so
 * the response is not paused and resumed (a tick each way) for every chunk.
 */
const QUEUE_LIMIT = 128 * 1024;

const asBuffer = (p: Uint8Array): Buffer => (Buffer.isBuffer(p) ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength));

/** A Readable of a body from `iterateBody` (a Node stream already, or an async iterable of bytes). */
export function asNodeReadable(body: AsyncIterable<Uint8Array>): Readable {
  return body instanceof Readable ? body : Readable.from(body, { objectMode: false });
}

/**
 * The plaintext of `source` through `steps`, as the SDK-shaped Readable GetObject returns.
 * `first` is ciphertext already read from `source` (e.g. past a header), fed before anything else.
 */
export function pumpReadable(source: Readable, steps: PumpSteps, first?: Buffer, highWaterMark = 1): SdkReadable {
  const queue: Buffer[] = [];
  let queued = 0;
  let wanting = false;
  let ended = false;
  let done = false;
  const finish = (failed: boolean) => {
    if (done) return;
    done = true;
    queue.length = 0;
    queued = 0;
    if (failed) steps.abort?.();
    steps.cleanup?.();
  };
  const flush = () => {
    while (wanting && queue.length > 0) {
      const piece = queue.shift()!;
      queued -= piece.length;
      wanting = out.push(piece);
    }
    if (ended && queue.length === 0 && !done) {
      finish(false);
      out.push(null);
    }
  };
  let scheduled = false;
  const serve = () => {
    scheduled = false;
    flush();
    if (queued < QUEUE_LIMIT && !ended && !done) source.resume();
  };
  const take = (pieces: readonly Uint8Array[]) => {
    for (const p of pieces) {
      if (p.length === 0) continue;
      queue.push(asBuffer(p));
      queued += p.length;
    }
  };
  const out = new Readable({
    highWaterMark,
    read() {
      wanting = true;
      // Not synchronously: a push inside read() is joined to what read() returns (a copy).
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(serve);
      }
    },
    destroy(error, callback) {
      finish(true);
      stopFinished();
      source.destroy();
      callback(error);
    },
  });
  const fail = (error: unknown) => {
    out.destroy(error instanceof Error ? error : new StrongroomError('IO_ERROR', String(error)));
  };
  source.pause(); // adding a 'data' listener below must not start the flow: read() does
  source.on('data', (chunk: Buffer) => {
    if (done) return;
    try {
      take(steps.write(asBuffer(chunk)));
    } catch (error) {
      fail(error);
      return;
    }
    flush();
    if (queued >= QUEUE_LIMIT) source.pause();
  });
  const onEnd = () => {
    if (done || ended) return;
    try {
      take(steps.end());
    } catch (error) {
      fail(error);
      return;
    }
    ended = true;
    flush();
  };
  source.on('end', onEnd);
  // Errors and a response closed before its end (a reset connection) fail the output.
  const stopFinished = finished(source, { writable: false }, (error) => {
    if (error && !done) fail(error);
  });
  if (first && first.length > 0) {
    try {
      take(steps.write(first));
    } catch (error) {
      fail(error);
    }
  }
  // The whole body may have arrived before this pump (with a header read by readPrefix): its 'end' was emitted then.
  if (source.readableEnded) onEnd();
  return toSdkStream(out);
}

/**
 * Read from `source` until `need(bytes so far)` is 0 or less, then pause it (what follows stays in
 * the stream for the next reader). Resolves with everything read, which may extend past what was
 * needed; rejects with what `need` throws, the stream's error, or `short()` when it ends first.
 */
export function readPrefix(source: Readable, need: (prefix: Buffer) => number, short: () => Error): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let prefix: Buffer = Buffer.alloc(0);
    let settled = false;
    const settle = (error: unknown, value?: Buffer) => {
      if (settled) return;
      settled = true;
      source.pause();
      source.off('data', onData);
      stopFinished();
      if (error === undefined) resolve(value!);
      else reject(error);
    };
    const onData = (chunk: Buffer) => {
      prefix = prefix.length === 0 ? chunk : Buffer.concat([prefix, chunk]);
      try {
        if (need(prefix) <= 0) settle(undefined, prefix);
      } catch (error) {
        settle(error);
      }
    };
    source.pause();
    source.on('data', onData);
    // An error between this read and the next reader's listeners must not go unheard (an 'error'
    // without listeners throws); the next reader sees it as `source.errored` through finished().
    source.on('error', () => {});
    // An error, or an end (or close) before enough bytes arrived.
    const stopFinished = finished(source, { writable: false }, (error) => settle(error ?? short()));
    source.resume();
  });
}
