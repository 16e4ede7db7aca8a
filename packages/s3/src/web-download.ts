/**
 * `download()` on the web entry: a framed object fetched through concurrent ranged GETs, reassembled
 * in order as one ReadableStream, every frame verified before its plaintext is released, memory
 * bounded — the Node entry's download() (./parallel-download.ts) over WHATWG streams and core's web
 * frame reader. The plan is shared (./download-plan.ts, ./framed-plan.ts):
 * 1. One small ranged GET reads the header (another format falls back to one GetObject, since a
 *    V2/V3 tag covers the whole object); the header is authenticated (key commitment, header tag,
 *    bucket/key binding) before anything else is fetched.
 * 2. The frames are split into runs of `partSize` plaintext bytes (whole frames); each run is one
 *    ranged GET pinned to the probed ETag (`If-Match`), so a replaced object cannot mix in.
 * 3. Up to `concurrency` runs are fetched at once, each response fed to a frame reader for its run
 *    (sequence numbers and the final-frame marker checked, so runs cannot be reordered, repeated or
 *    cut short). The first run not yet released streams its verified frames as the consumer reads;
 *    the runs after it hold theirs until their turn; a new run starts only when the first has been
 *    handed over — at most `concurrency` runs of plaintext held (≈ concurrency × partSize).
 * 4. Any failure (a bad tag, a wrong Content-Range, a network error, the caller's abort) aborts the
 *    other requests, wipes the plaintext not yet released and errors the stream; cancelling the
 *    stream does the same.
 * spec: AWS Encryption SDK specification data-format/message-body.md#framed-data, client-apis/decrypt.md;
 * S3 GetObject Range / If-Match: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 */
import type { GetObjectCommandInput, GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { StrongroomError, type WebFramedMessage } from '@strongroom/core/web';
import { planDownload, type DownloadParams, type Run } from './download-plan';
import { fetchFrames } from './framed-plan';
import type { ResolvedConfig } from './options';
import { byteStream, cancelBody, sdkBody } from './web-body';
import { requestSignals } from './request-signal';
import { openProbedWeb, probeWeb } from './web-framed-range';
import { getObjectWeb } from './web-object-ops';

/** Receives a run's verified plaintext as its frames open. */
type Sink = (pieces: readonly Uint8Array[]) => void;
type FetchRun = (run: Run, signal: AbortSignal, sink: Sink) => Promise<void>;

/**
 * Download an object (see the module comment): framed objects through verified concurrent ranged
 * GETs, other formats through one GetObject.
 * @throws StrongroomError as GetObject; INVALID_ARGUMENT for bad parameters; the stream errors the
 *   same way for a frame that fails.
 */
export async function downloadWeb(cfg: ResolvedConfig, params: DownloadParams): Promise<GetObjectCommandOutput> {
  const plan = await planDownload(params, {
    probe: (input, o) => probeWeb(cfg, input, o),
    whole: (input, o) => getObjectWeb(cfg, input, o),
    open: (input, probe, o) => openProbedWeb(cfg, input, probe, o),
    discard: cancelBody,
  });
  if ('whole' in plan) return plan.whole;
  const { message } = plan;
  const body = releaseInOrder(plan.runs, plan.concurrency, runFetcher(cfg, plan.input, plan.etag, plan.total, message), message, plan.abortSignal);
  return { ...plan.head, Body: sdkBody(body) as unknown as GetObjectCommandOutput['Body'], ContentLength: plan.plaintextLength };
}

/** Fetches one run with a ranged GET, handing each frame's plaintext to `sink` as soon as it verifies. */
function runFetcher(cfg: ResolvedConfig, input: GetObjectCommandInput, etag: string | undefined, total: number, message: WebFramedMessage): FetchRun {
  return async (run, signal, sink) => {
    const res = await fetchFrames(cfg, input, etag, run, total, signal, cancelBody);
    const reader = message.frameReader(run.first, run.last, run.lastIsFinal);
    const body = byteStream(res.Body).getReader();
    const onAbort = () => void body.cancel(signal.reason).catch(() => {});
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (signal.aborted) throw signal.reason;
        const r = await body.read();
        if (r.done) break;
        sink(await reader.write(r.value));
      }
      if (signal.aborted) throw signal.reason;
      sink(reader.end());
    } catch (error) {
      reader.destroy();
      void body.cancel().catch(() => {});
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  };
}

/** A run's plaintext, verified and not yet released. */
interface Held {
  readonly pieces: Uint8Array[];
  done: boolean;
}

const wipe = (pieces: readonly Uint8Array[]) => {
  for (const p of pieces) p.fill(0);
};

/** The runs' plaintext in order as one stream (see the module comment, steps 3 and 4). */
function releaseInOrder(runs: readonly Run[], concurrency: number, fetchRun: FetchRun, message: WebFramedMessage, abortSignal: AbortSignal | undefined): ReadableStream<Uint8Array> {
  const controller = new AbortController();
  // Up to `concurrency` runs in flight: each its own signal, so the shared one carries one listener.
  const runSignal = requestSignals(controller.signal);
  const held = new Map<number, Held>();
  let next = 0;
  let launched = 0;
  let over = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onUserAbort = () => fail(new StrongroomError('ABORTED', 'The download was aborted', { cause: abortSignal?.reason }));
  const end = () => {
    if (over) return;
    over = true;
    abortSignal?.removeEventListener('abort', onUserAbort);
    controller.abort(new StrongroomError('ABORTED', 'download ended'));
    for (const h of held.values()) wipe(h.pieces);
    held.clear();
    message.destroy();
  };
  // The first failure of any run aborts the others at once and is what the stream errors with.
  function fail(error: unknown): void {
    if (over) return;
    failure = { error };
    end();
    notify();
  }
  if (abortSignal?.aborted) fail(new StrongroomError('ABORTED', 'The download was aborted', { cause: abortSignal.reason }));
  else abortSignal?.addEventListener('abort', onUserAbort, { once: true });
  const launch = () => {
    while (!over && launched < runs.length && launched < next + concurrency) {
      const i = launched++;
      const h: Held = { pieces: [], done: false };
      held.set(i, h);
      const sink: Sink = (pieces) => {
        if (over) return wipe(pieces);
        for (const p of pieces) if (p.length > 0) h.pieces.push(p);
        if (i === next) notify();
      };
      const request = runSignal();
      fetchRun(runs[i]!, request.signal, sink)
        .finally(request.release)
        .then(() => {
          h.done = true;
          if (i === next) notify();
        }, fail);
    }
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        if (launched === 0) launch();
        for (;;) {
          if (failure) throw failure.error;
          if (over) return;
          const h = held.get(next);
          if (h === undefined) {
            end();
            c.close();
            return;
          }
          const piece = h.pieces.shift();
          if (piece) return c.enqueue(piece);
          if (h.done) {
            held.delete(next);
            next++;
            launch();
            continue;
          }
          await new Promise<void>((resolve) => (wake = resolve));
        }
      },
      cancel() {
        end();
      },
    },
    { highWaterMark: 0 },
  );
}
