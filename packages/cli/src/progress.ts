/**
 * Progress bars on stderr, only when stderr is a terminal (never in pipes, logs or tests), so
 * stdout stays clean for piped data. Each line shows the rate and the time left, and fits the
 * terminal's width: on a narrow terminal the least useful parts go first (ECMA-48 carriage return
 * redraws the line in place; the width is the terminal's columns, else env COLUMNS as POSIX
 * describes it — https://pubs.opengroup.org/onlinepubs/9799919799/basedefs/V1_chap08.html).
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

/** `1.5 MiB`, `512 B`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** `42s`, `3m05s`, `1h02m`. */
export function formatSeconds(s: number): string {
  const t = Math.max(0, Math.round(s));
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
}

export interface ProgressState {
  label: string;
  done: number;
  /** Unknown (a pipe): a byte counter without a bar, percentage or ETA. */
  total?: number | undefined;
  elapsedMs: number;
  /** Terminal columns; the line is at most `width - 1` characters (the last column would wrap on some terminals). */
  width: number;
}

/**
 * One progress line that fits `width`: `label [####----] 42% 1.2/3.0 MiB 8.1 MiB/s ETA 3s`. Parts
 * are dropped in this order as the width shrinks: the byte counts, the label (then shortened), the
 * bar (then narrowed); the percentage, rate and ETA stay as long as anything fits.
 */
export function renderProgressLine(state: ProgressState): string {
  const max = Math.max(10, Math.floor(state.width) - 1);
  const seconds = state.elapsedMs / 1000;
  const rate = seconds > 0.05 ? state.done / seconds : 0;
  const rateText = rate > 0 ? `${formatBytes(rate)}/s` : '';
  const total = state.total && state.total > 0 ? state.total : undefined;
  const fraction = total ? Math.min(1, state.done / total) : undefined;
  const pct = fraction === undefined ? '' : `${Math.floor(fraction * 100)}%`;
  const eta = total && rate > 0 ? (state.done >= total ? formatSeconds(seconds) : `ETA ${formatSeconds((total - state.done) / rate)}`) : '';
  const counts = total ? `${formatBytes(state.done)}/${formatBytes(total)}` : formatBytes(state.done);
  const tail = (withCounts: boolean) => [pct, withCounts ? counts : total ? '' : counts, rateText, eta].filter(Boolean).join(' ');

  // Candidates from the fullest to the barest; the first that fits wins.
  const shapes: Array<{ counts: boolean; label: boolean; minBar: number }> = [
    { counts: true, label: true, minBar: 10 },
    { counts: false, label: true, minBar: 10 },
    { counts: false, label: true, minBar: 5 },
    { counts: false, label: true, minBar: 0 },
    { counts: false, label: false, minBar: 5 },
  ];
  for (const shape of shapes) {
    const head = shape.label ? `${state.label} ` : '';
    const rest = tail(shape.counts);
    if (fraction === undefined || shape.minBar === 0) {
      const line = `${head}${rest}`;
      if (line.length <= max) return line;
      continue;
    }
    const room = max - head.length - rest.length - 3; // "[", "]" and a space
    if (room >= shape.minBar) {
      const barWidth = Math.min(40, room);
      const filled = Math.round(fraction * barWidth);
      return `${head}[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${rest}`;
    }
  }
  const line = tail(false);
  return line.length <= max ? line : line.slice(0, max);
}

function terminalWidth(): number {
  const columns = process.stderr.columns;
  if (columns && columns > 0) return columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 0 ? env : 80;
}

/**
 * A progress bar labelled `label` for `total` bytes (unknown: a byte counter), or a no-op when
 * stderr is not a TTY or `enabled` is false.
 */
export function createProgress(label: string, total: number | undefined, enabled = process.stderr.isTTY === true): Progress {
  if (!enabled) return NOOP;
  let value = 0;
  let size = total;
  const started = Date.now();
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: () => renderProgressLine({ label, done: value, total: size, elapsedMs: Date.now() - started, width: terminalWidth() }),
    hideCursor: true,
    clearOnComplete: false,
    linewrap: false,
    fps: 10,
  });
  bar.start(size || 1, 0);
  return {
    tick(bytes) {
      value += bytes;
      bar.update(size ? value : 0);
    },
    set(bytes, t) {
      value = bytes;
      if (t && t !== size) {
        size = t;
        bar.setTotal(t);
      }
      bar.update(value);
    },
    stop() {
      bar.update(size ? value : 0);
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
