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
import { GetObjectCommand, type GetObjectCommandInput, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { REGULAR_FRAME_OVERHEAD, StrongroomError, malformed, throwIfAborted, type EncryptionContext, type FramedMessage } from '@strongroom/core';
import { setMaxListeners } from 'node:events';
import { finished, Readable } from 'node:stream';
import { collect, destroyBody, iterateBody, toSdkStream, type SdkReadable } from './body';
import { asNodeReadable } from './body-pump';
import { isFramedObject } from './framed-format';
import { completeHeader, HEADER_PROBE_BYTES, openFramedObject, probeObject } from './framed-read';
import { getObject } from './object-ops';
import type { EncryptedSendOptions, ResolvedConfig } from './options';
import { parseContentRange } from './ranged-get';

/** Input of `download()`: a `GetObject` input (no Range or PartNumber) plus concurrency and part size. */
export interface DownloadParams extends Omit<GetObjectCommandInput, 'Range' | 'PartNumber'> {
  /** Ranged GETs in flight at once (1 … 64). Default 4. */
  readonly concurrency?: number;
  /** Plaintext bytes per ranged GET, rounded down to whole frames (at least one). Default 8 MiB. */
  readonly partSize?: number;
  /** Aborts the ranged GETs in flight; the stream errors with the reason. */
  readonly abortSignal?: AbortSignal;
  /** Must equal the context the object was written with (as for GetObject). */
  readonly encryptionContext?: EncryptionContext;
}

/** Default ranged GETs in flight. */
export const DEFAULT_DOWNLOAD_CONCURRENCY = 4;
/** Default plaintext bytes per ranged GET: 8 MiB. */
export const DEFAULT_DOWNLOAD_PART_SIZE = 8 * 1024 * 1024;

/** One ranged GET: frames `first` … `last` (1-based) and the ciphertext bytes holding them. */
interface Run {
  readonly first: number;
  readonly last: number;
  readonly lastIsFinal: boolean;
  readonly byteStart: number;
  readonly byteEnd: number;
}

/** The runs of `framesPerRun` frames covering a message (the last run ends with the final frame). */
export function runsOf(headerLength: number, frameLength: number, frames: number, ciphertextLength: number, framesPerRun: number): Run[] {
  const runs: Run[] = [];
  const offset = (sequence: number) => headerLength + (sequence - 1) * (frameLength + REGULAR_FRAME_OVERHEAD);
  for (let first = 1; first <= frames; first += framesPerRun) {
    const last = Math.min(frames, first + framesPerRun - 1);
    const lastIsFinal = last === frames;
    runs.push({ first, last, lastIsFinal, byteStart: offset(first), byteEnd: lastIsFinal ? ciphertextLength - 1 : offset(last + 1) - 1 });
  }
  return runs;
}

function checkParams(p: DownloadParams): { concurrency: number; partSize: number } {
  const concurrency = p.concurrency ?? DEFAULT_DOWNLOAD_CONCURRENCY;
  const partSize = p.partSize ?? DEFAULT_DOWNLOAD_PART_SIZE;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new StrongroomError('INVALID_ARGUMENT', 'concurrency: an integer from 1 to 64');
  if (!Number.isSafeInteger(partSize) || partSize < 1 || partSize > 5 * 1024 ** 3) throw new StrongroomError('INVALID_ARGUMENT', 'partSize: an integer from 1 byte to 5 GiB');
  const raw = p as { Range?: unknown; PartNumber?: unknown };
  if (raw.Range !== undefined || raw.PartNumber !== undefined) {
    throw new StrongroomError('INVALID_ARGUMENT', 'download() reads whole objects: send a GetObjectCommand with Range for a ranged read');
  }
  return { concurrency, partSize };
}

const isInvalidRange = (e: unknown) => (e as { name?: unknown })?.name === 'InvalidRange' || (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 416;

/**
 * Download an object: framed objects through concurrent verified ranged GETs, other formats through
 * one GetObject (see the module comment).
 * @throws StrongroomError as GetObject (AUTHENTICATION_FAILED, MALFORMED, ENCRYPTION_CONTEXT, …),
 *   INVALID_ARGUMENT for bad parameters; the stream errors the same way for a frame that fails.
 */
export async function downloadObject(cfg: ResolvedConfig, params: DownloadParams): Promise<GetObjectCommandOutput> {
  const { concurrency, partSize } = checkParams(params);
  const { concurrency: _c, partSize: _p, abortSignal, encryptionContext, ...input } = params;
  const o: EncryptedSendOptions = { ...(abortSignal ? { abortSignal } : {}), ...(encryptionContext ? { encryptionContext } : {}) };
  throwIfAborted(abortSignal);
  let probe: GetObjectCommandOutput;
  try {
    probe = await probeObject(cfg, input as GetObjectCommandInput, o);
  } catch (error) {
    if (isInvalidRange(error)) return getObject(cfg, input as GetObjectCommandInput, o); // an empty object: not framed
    throw error;
  }
  let message: FramedMessage | undefined;
  let runs: Run[];
  let plaintextLength: number;
  let total: number;
  try {
    if (!isFramedObject(probe.Metadata)) {
      destroyBody(probe.Body);
      return getObject(cfg, input as GetObjectCommandInput, o);
    }
    total = parseContentRange(probe.ContentRange).total;
    const first = await collect(iterateBody(probe.Body), HEADER_PROBE_BYTES, 'framed object header probe');
    const prefix = await completeHeader(cfg, input as GetObjectCommandInput, first, probe.ETag, o);
    message = await openFramedObject(cfg, input.Bucket, input.Key, prefix, o);
    const layout = message.layout(total);
    plaintextLength = layout.plaintextLength;
    runs = runsOf(message.headerLength, layout.frameLength, layout.regularFrames + 1, total, Math.max(1, Math.floor(partSize / layout.frameLength)));
  } catch (error) {
    message?.destroy();
    destroyBody(probe.Body);
    throw error;
  }
  const fetchRun = runFetcher(cfg, input as GetObjectCommandInput, probe.ETag, total, message);
  const body = releaseInOrder(runs, concurrency, fetchRun, message, abortSignal);
  const { Body: _b, ContentRange: _r, ...head } = probe;
  return { ...head, Body: body as GetObjectCommandOutput['Body'], ContentLength: plaintextLength };
}

/** Receives a run's verified plaintext as its frames open. */
type Sink = (pieces: readonly Uint8Array[]) => void;

/** Fetches one run with a ranged GET, handing each frame's plaintext to `sink` as soon as it verifies. */
function runFetcher(cfg: ResolvedConfig, input: GetObjectCommandInput, etag: string | undefined, total: number, message: FramedMessage) {
  const { PartNumber: _n, Range: _r, ...rest } = input;
  return async (run: Run, signal: AbortSignal, sink: Sink): Promise<void> => {
    const res = await cfg.client.send(new GetObjectCommand({ ...rest, IfMatch: input.IfMatch ?? etag, Range: `bytes=${run.byteStart}-${run.byteEnd}` }), { abortSignal: signal });
    const reader = message.frameReader(run.first, run.last, run.lastIsFinal);
    try {
      const got = parseContentRange(res.ContentRange);
      if (got.start !== run.byteStart || got.end !== run.byteEnd || got.total !== total) {
        throw malformed(`The ranged GET returned bytes ${got.start}-${got.end}/${got.total}, not ${run.byteStart}-${run.byteEnd}/${total}: the object changed or the server ignored the range`);
      }
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
  // Each run in flight listens to it twice (its request's and its body's abort), up to 64 runs.
  setMaxListeners(2 * concurrency + 10, signal);
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
      fetchRun(runs[i]!, signal, sink).then(
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
