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
 * 3. Up to `concurrency` runs are fetched at once. Each run's frames are opened as their bytes arrive
 *    (sequence numbers and the final-frame marker are checked, so runs cannot be reordered, repeated
 *    or cut short) and only verified plaintext is kept. Runs are released in order; a new run starts
 *    only when an earlier one has been handed to the consumer, so at most `concurrency` runs of
 *    plaintext are held (≈ concurrency × partSize) whatever the object size and however slow the consumer.
 * 4. Any failure (a bad tag, a wrong Content-Range, a network error, the caller's abort) aborts the
 *    other requests, wipes the plaintext not yet released and errors the stream.
 */
import { GetObjectCommand, type GetObjectCommandInput, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { REGULAR_FRAME_OVERHEAD, StrongroomError, malformed, throwIfAborted, type EncryptionContext, type FramedMessage } from '@strongroom/core';
import { collect, destroyBody, iterateBody, readableOf } from './body';
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
  const body = readableOf(releaseInOrder(runs, concurrency, fetchRun, message, abortSignal));
  const { Body: _b, ContentRange: _r, ...head } = probe;
  return { ...head, Body: body as GetObjectCommandOutput['Body'], ContentLength: plaintextLength };
}

/** Fetches one run with a ranged GET and returns its verified plaintext. */
function runFetcher(cfg: ResolvedConfig, input: GetObjectCommandInput, etag: string | undefined, total: number, message: FramedMessage) {
  const { PartNumber: _n, Range: _r, ...rest } = input;
  return async (run: Run, signal: AbortSignal): Promise<Buffer[]> => {
    const res = await cfg.client.send(new GetObjectCommand({ ...rest, IfMatch: input.IfMatch ?? etag, Range: `bytes=${run.byteStart}-${run.byteEnd}` }), { abortSignal: signal });
    const reader = message.frameReader(run.first, run.last, run.lastIsFinal);
    const out: Buffer[] = [];
    const keep = (pieces: Uint8Array[]) => {
      for (const p of pieces) out.push(Buffer.from(p.buffer, p.byteOffset, p.byteLength));
    };
    try {
      const got = parseContentRange(res.ContentRange);
      if (got.start !== run.byteStart || got.end !== run.byteEnd || got.total !== total) {
        throw malformed(`The ranged GET returned bytes ${got.start}-${got.end}/${got.total}, not ${run.byteStart}-${run.byteEnd}/${total}: the object changed or the server ignored the range`);
      }
      for await (const chunk of iterateBody(res.Body)) {
        signal.throwIfAborted();
        keep(reader.write(chunk));
      }
      keep(reader.end());
      return out;
    } catch (error) {
      reader.destroy();
      for (const p of out) p.fill(0);
      destroyBody(res.Body);
      throw error;
    }
  };
}

/**
 * Yield the runs' plaintext in order, fetching up to `concurrency` runs ahead. Always aborts what is
 * in flight, wipes what was not released and destroys the message key when it ends.
 */
async function* releaseInOrder(
  runs: readonly Run[],
  concurrency: number,
  fetchRun: (run: Run, signal: AbortSignal) => Promise<Buffer[]>,
  message: FramedMessage,
  abortSignal: AbortSignal | undefined,
): AsyncGenerator<Buffer> {
  const controller = new AbortController();
  const signal = abortSignal ? AbortSignal.any([controller.signal, abortSignal]) : controller.signal;
  const pending = new Map<number, Promise<Buffer[]>>();
  let launched = 0;
  let current: Buffer[] = [];
  let failure: unknown;
  try {
    for (let i = 0; i < runs.length; i++) {
      while (launched < runs.length && launched < i + concurrency) {
        const p = fetchRun(runs[launched]!, signal);
        // The first failure of any run aborts the others at once (and is what the stream errors with).
        p.catch((error: unknown) => {
          failure ??= error;
          controller.abort(error);
        });
        pending.set(launched, p);
        launched++;
      }
      try {
        current = await pending.get(i)!;
      } catch (error) {
        throw failure ?? error;
      } finally {
        pending.delete(i);
      }
      while (current.length > 0) yield current.shift()!;
    }
  } finally {
    controller.abort(new StrongroomError('ABORTED', 'download ended'));
    for (const p of current) p.fill(0);
    for (const p of pending.values()) p.then((pieces) => pieces.forEach((b) => b.fill(0)), () => undefined);
    message.destroy();
  }
}
