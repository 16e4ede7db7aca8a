/**
 * When a server stops. Both local servers stop on SIGTERM and SIGINT; and a server started by another
 * process for its own use (a test, the dev stack, a benchmark) must not outlive it. That starter opens
 * a pipe as the server's standard input and never writes to it; the server, told so by its
 * `--stop-on-stdin-close` flag, stops when that pipe reaches end of file. The kernel closes the
 * starter's end however the starter ends — a crash, or SIGKILL, which runs no cleanup — so the server
 * cannot be left behind holding its port, its CPU and its keys in memory.
 */

/** Options of {@link onStopRequest}. */
export interface StopRequestOptions {
  /** Also stop when standard input ends or fails (bytes written to it are read and dropped). */
  readonly stdinClose?: boolean | undefined;
  /** The stream watched instead of `process.stdin` (tests). */
  readonly input?: NodeJS.ReadableStream;
}

/**
 * Call `stop` once: on the first SIGTERM or SIGINT, or — with `stdinClose` — when standard input ends,
 * whichever comes first (a later one does not call it again).
 * @example
 * onStopRequest(() => void server.close().finally(() => process.exit(0)), { stdinClose: values['stop-on-stdin-close'] });
 */
export function onStopRequest(stop: () => void, options: StopRequestOptions = {}): void {
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
    stop();
  };
  process.on('SIGTERM', once);
  process.on('SIGINT', once);
  if (!options.stdinClose) return;
  const input = options.input ?? process.stdin;
  input.on('end', once);
  input.on('error', once);
  input.on('close', once);
  input.resume();
}
