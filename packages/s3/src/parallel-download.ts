/**
 * `download()`: a framed object fetched through concurrent ranged GETs and reassembled in order, as
 * the S3 Transfer Manager downloads large objects — but every frame is verified before its plaintext
 * is released, and memory stays bounded.
 * spec: AWS Encryption SDK specification data-format/message-body.md#framed-data (frame layout,
 * sequence numbers, final-frame marker); client-apis/decrypt.md (no plaintext before its tag
 * verifies); S3 GetObject `Range` and `If-Match`: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html;
 * HTTP range requests: RFC 9110 §14.
 *
 * 1. One small ranged GET reads the header (and the metadata that marks the format; any other format
 *    falls back to a single GetObject, since a V2/V3 tag covers the whole object). The header is
 *    authenticated (key commitment, header tag, bucket/key binding) before anything else is fetched.
 * 2. The frames are split into runs of `partSize` plaintext bytes (whole frames); each run is one
 *    ranged GET, pinned to the probed ETag (`If-Match`), so a replaced object cannot mix in.
 * 3. Up to `concurrency` runs are fetched at once, each response's chunks fed straight to a frame
 *    reader (sequence numbers and the final-frame marker are checked, so runs cannot be reordered,
 *    repeated or cut short). The first run not yet released streams its verified frames out as they
 *    open; the runs after it hold their verified plaintext until their turn. A new run starts only
 *    when the first one has been handed to the consumer, so at most `concurrency` runs of plaintext
 *    are held (≈ concurrency × partSize) whatever the object size and however slow the consumer; with
 *    a consumer that keeps up, the first run streams through and ≈ (concurrency − 1) × partSize wait.
 * 4. Any failure (a bad tag, a wrong Content-Range, a network error, the caller's abort) aborts the
 *    other requests, wipes the plaintext not yet released and errors the stream.
 */
import type { GetObjectCommandInput, GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { StrongroomError, type FramedMessage } from '@strongroom/core';
import { finished, Readable } from 'node:stream';
import { destroyBody, iterateBody, toSdkStream, type SdkReadable } from './body';
import { asNodeReadable } from './body-pump';
import { requestSignals } from './request-signal';
import { openProbedObject, probeObject } from './framed-read';
import { fetchFrames } from './framed-plan';
import { planDownload, type DownloadParams, type Run } from './download-plan';
import { getObject } from './object-ops';
import type { ResolvedConfig } from './options';

/**
 * Download an object: framed objects through concurrent verified ranged GETs, other formats through
 * one GetObject (see the module comment).
 * @throws StrongroomError as GetObject (AUTHENTICATION_FAILED, MALFORMED, ENCRYPTION_CONTEXT, …),
 *   INVALID_ARGUMENT for bad parameters; the stream errors the same way for a frame that fails.
 */
export async function downloadObject(cfg: ResolvedConfig, params: DownloadParams): Promise<GetObjectCommandOutput> {
  const plan = await planDownload(params, {
    probe: (input, o) => probeObject(cfg, input, o),
    whole: (input, o) => getObject(cfg, input, o),
    open: (input, probe, o) => openProbedObject(cfg, input, probe, o),
    discard: destroyBody,
  });
  if ('whole' in plan) return plan.whole;
  const { message } = plan;
  const body = releaseInOrder(plan.runs, plan.concurrency, runFetcher(cfg, plan.input, plan.etag, plan.total, message), message, plan.abortSignal);
  return { ...plan.head, Body: body as GetObjectCommandOutput['Body'], ContentLength: plan.plaintextLength };
}

/** Receives a run's verified plaintext as its frames open. */
type Sink = (pieces: readonly Uint8Array[]) => void;

/** Fetches one run with a ranged GET, handing each frame's plaintext to `sink` as soon as it verifies. */
function runFetcher(cfg: ResolvedConfig, input: GetObjectCommandInput, etag: string | undefined, total: number, message: FramedMessage) {
  return async (run: Run, signal: AbortSignal, sink: Sink): Promise<void> => {
    const res = await fetchFrames(cfg, input, etag, run, total, signal, destroyBody);
    const reader = message.frameReader(run.first, run.last, run.lastIsFinal);
    try {
      await forEachChunk(asNodeReadable(iterateBody(res.Body)), signal, (chunk) => sink(reader.write(chunk)));
      sink(reader.end());
    } catch (error) {
      reader.destroy();
      destroyBody(res.Body);
      throw error;
    }
  };
}

/**
 * Call `fn` with each chunk of `source` as it arrives ('data' events: no async iterator, whose
 * `read()` joins buffered chunks into a copy). Rejects with `fn`'s error, the stream's, or the
 * signal's reason, and then destroys the stream.
 */
function forEachChunk(source: Readable, signal: AbortSignal, fn: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      stop();
      if (error === undefined) resolve();
      else {
        source.destroy();
        reject(error);
      }
    };
    if (signal.aborted) {
      source.destroy();
      reject(signal.reason);
      return;
    }
    const onAbort = () => settle(signal.reason);
    signal.addEventListener('abort', onAbort);
    source.on('data', (chunk: Buffer) => {
      if (settled) return;
      try {
        fn(chunk);
      } catch (error) {
        settle(error);
      }
    });
    const stop = finished(source, { writable: false }, (error) => settle(error ?? undefined));
  });
}

/** A run's plaintext, verified and not yet released. */
interface Held {
  readonly pieces: Buffer[];
  done: boolean;
}

/**
 * The runs' plaintext in order as one stream. Up to `concurrency` runs are fetched at once: the
 * first not yet released streams its frames out as they verify, the ones after it hold theirs
 * (≤ partSize each) until their turn. Any failure, the caller's abort or the consumer's destroy
 * aborts what is in flight, wipes what was not released and destroys the message key.
 */
function releaseInOrder(
  runs: readonly Run[],
  concurrency: number,
  fetchRun: (run: Run, signal: AbortSignal, sink: Sink) => Promise<void>,
  message: FramedMessage,
  abortSignal: AbortSignal | undefined,
): SdkReadable {
  const controller = new AbortController();
  const signal = abortSignal ? AbortSignal.any([controller.signal, abortSignal]) : controller.signal;
  // Up to `concurrency` runs in flight, each listening twice (its request and its body): each gets its
  // own signal, so the shared one carries one listener.
  const runSignal = requestSignals(signal);
  const held = new Map<number, Held>();
  let next = 0;
  let launched = 0;
  let wanting = false;
  let scheduled = false;
  let over = false;
  const wipe = (pieces: readonly Uint8Array[]) => {
    for (const p of pieces) p.fill(0);
  };
  const end = () => {
    if (over) return;
    over = true;
    controller.abort(new StrongroomError('ABORTED', 'download ended'));
    for (const h of held.values()) wipe(h.pieces);
    held.clear();
    message.destroy();
  };
  // The first failure of any run aborts the others at once and is what the stream errors with.
  const fail = (error: unknown) => {
    if (!over) out.destroy(error instanceof Error ? error : new StrongroomError('IO_ERROR', String(error)));
  };
  const kick = () => {
    if (wanting && !scheduled && !over) {
      scheduled = true;
      // Never inside read(): a push there is joined to what read() returns (a copy).
      queueMicrotask(serve);
    }
  };
  const launch = () => {
    while (launched < runs.length && launched < next + concurrency) {
      const i = launched++;
      const h: Held = { pieces: [], done: false };
      held.set(i, h);
      const sink: Sink = (pieces) => {
        if (over) return wipe(pieces);
        for (const p of pieces) if (p.length > 0) h.pieces.push(Buffer.from(p.buffer, p.byteOffset, p.byteLength));
        if (i === next) kick();
      };
      const request = runSignal();
      fetchRun(runs[i]!, request.signal, sink)
        .finally(request.release)
        .then(
          () => {
            h.done = true;
            if (i === next) kick();
          },
          fail,
        );
    }
  };
  const serve = () => {
    scheduled = false;
    while (wanting && !over) {
      const h = held.get(next);
      if (h === undefined) {
        end();
        out.push(null);
        return;
      }
      if (h.pieces.length > 0) wanting = out.push(h.pieces.shift());
      else if (!h.done) return;
      else {
        held.delete(next);
        next++;
        launch();
      }
    }
  };
  const out = new Readable({
    highWaterMark: 1, // one piece buffered at a time: read() hands it over as it is, never joined to the next
    read() {
      if (launched === 0) launch();
      wanting = true;
      kick();
    },
    destroy(error, callback) {
      end();
      callback(error);
    },
  });
  return toSdkStream(out);
}
