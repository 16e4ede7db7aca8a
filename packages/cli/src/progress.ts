/**
 * Progress bars on stderr, only when stderr is a terminal (never in pipes, logs or tests), so
 * stdout stays clean for piped data.
 */
import { Transform } from 'node:stream';
import cliProgress from 'cli-progress';

export interface Progress {
  /** Add processed bytes. */
  tick(bytes: number): void;
  /** Set absolute progress (e.g. from httpUploadProgress). */
  set(bytes: number, total?: number): void;
  stop(): void;
}

const NOOP: Progress = { tick() {}, set() {}, stop() {} };

function mib(n: number): string {
  return `${(n / 1048576).toFixed(1)} MiB`;
}

/**
 * A progress bar labelled `label` for `total` bytes (unknown: a byte counter), or a no-op when
 * stderr is not a TTY or `enabled` is false.
 */
export function createProgress(label: string, total: number | undefined, enabled = process.stderr.isTTY === true): Progress {
  if (!enabled) return NOOP;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: total ? `${label} [{bar}] {percentage}% {done}/{size}` : `${label} {done}`,
      hideCursor: true,
      clearOnComplete: false,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let value = 0;
  let size = total ?? 0;
  bar.start(size || 1, 0, { done: mib(0), size: mib(size) });
  return {
    tick(bytes) {
      value += bytes;
      bar.update(total ? value : 0, { done: mib(value), size: mib(size) });
    },
    set(bytes, t) {
      value = bytes;
      if (t && t !== size) {
        size = t;
        bar.setTotal(t);
      }
      bar.update(value, { done: mib(value), size: mib(size) });
    },
    stop() {
      bar.stop();
    },
  };
}

/** A pass-through stream that reports bytes to a Progress. */
export function progressTap(progress: Progress): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      progress.tick(chunk.length);
      cb(null, chunk);
    },
  });
}
