/**
 * A server started by another process for its own use (a test, the dev stack, a benchmark) must not
 * outlive it. The starter opens a pipe as the server's standard input and never writes to it; the
 * server, told so by its `--stop-on-stdin-close` flag, stops when that pipe reaches end of file. The
 * kernel closes the starter's end however the starter ends — a crash, or SIGKILL, which runs no
 * cleanup — so the server cannot be left behind holding its port, its CPU and its keys in memory.
 */

/**
 * Call `stop` once when standard input ends or fails (bytes written to it are read and dropped).
 * @example
 * if (values['stop-on-stdin-close']) stopWhenStdinCloses(() => void server.close().finally(() => process.exit(0)));
 */
export function stopWhenStdinCloses(stop: () => void, input: NodeJS.ReadableStream = process.stdin): void {
  let called = false;
  const once = (): void => {
    if (called) return;
    called = true;
    stop();
  };
  input.on('end', once);
  input.on('error', once);
  input.on('close', once);
  input.resume();
}
