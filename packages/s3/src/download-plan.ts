/**
 * `download()` on both entries, the transport-independent part (no Node import): its parameters, and
 * the runs of whole frames — one ranged GET each — that cover a framed object. The Node entry
 * (./parallel-download.ts) and the web entry (./web-download.ts) fetch, verify and release them in
 * order through their own streams.
 * spec: AWS Encryption SDK specification data-format/message-body.md#framed-data; S3 GetObject
 * Range and If-Match: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 */
import type { GetObjectCommandInput, GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { REGULAR_FRAME_OVERHEAD, StrongroomError, throwIfAborted, type EncryptionContext } from '@strongroom/core';
import { isFramedObject } from './framed-format';
import type { EncryptedSendOptions } from './options';

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
export interface Run {
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

/** The runs of a message (header length, frame length, total length) for a plaintext part size. */
export function downloadRuns(
  message: { headerLength: number; layout(total: number): { frameLength: number; regularFrames: number; plaintextLength: number } },
  total: number,
  partSize: number,
): { runs: Run[]; plaintextLength: number } {
  const layout = message.layout(total);
  const framesPerRun = Math.max(1, Math.floor(partSize / layout.frameLength));
  return { runs: runsOf(message.headerLength, layout.frameLength, layout.regularFrames + 1, total, framesPerRun), plaintextLength: layout.plaintextLength };
}

/** Checked parameters: concurrency, part size, the GetObject input and the send options. */
export function downloadParams(p: DownloadParams): { concurrency: number; partSize: number; input: GetObjectCommandInput; o: EncryptedSendOptions } {
  const concurrency = p.concurrency ?? DEFAULT_DOWNLOAD_CONCURRENCY;
  const partSize = p.partSize ?? DEFAULT_DOWNLOAD_PART_SIZE;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new StrongroomError('INVALID_ARGUMENT', 'concurrency: an integer from 1 to 64');
  if (!Number.isSafeInteger(partSize) || partSize < 1 || partSize > 5 * 1024 ** 3) throw new StrongroomError('INVALID_ARGUMENT', 'partSize: an integer from 1 byte to 5 GiB');
  const raw = p as { Range?: unknown; PartNumber?: unknown };
  if (raw.Range !== undefined || raw.PartNumber !== undefined) {
    throw new StrongroomError('INVALID_ARGUMENT', 'download() reads whole objects: send a GetObjectCommand with Range for a ranged read');
  }
  const { concurrency: _c, partSize: _p, abortSignal, encryptionContext, ...input } = p;
  const o: EncryptedSendOptions = { ...(abortSignal ? { abortSignal } : {}), ...(encryptionContext ? { encryptionContext } : {}) };
  return { concurrency, partSize, input, o };
}

/** S3's answer to a ranged GET of an empty object (or a range past its end). */
export const isInvalidRange = (e: unknown) => (e as { name?: unknown })?.name === 'InvalidRange' || (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === 416;

/** What an entry brings to download(): its probe, its single GetObject, its header opening, its body release. */
export interface DownloadPort<M extends { destroy(): void; headerLength: number; layout(total: number): { frameLength: number; regularFrames: number; plaintextLength: number } }> {
  probe(input: GetObjectCommandInput, o: EncryptedSendOptions): Promise<GetObjectCommandOutput>;
  whole(input: GetObjectCommandInput, o: EncryptedSendOptions): Promise<GetObjectCommandOutput>;
  open(input: GetObjectCommandInput, probe: GetObjectCommandOutput, o: EncryptedSendOptions): Promise<{ message: M; total: number }>;
  discard(body: unknown): void;
}

/** A framed object's download, planned: its authenticated header, the runs to fetch, the probe's output fields. */
export interface DownloadPlan<M> {
  readonly message: M;
  readonly runs: Run[];
  readonly plaintextLength: number;
  readonly total: number;
  readonly concurrency: number;
  readonly input: GetObjectCommandInput;
  readonly abortSignal: AbortSignal | undefined;
  /** The probe's output minus its body and Content-Range (the download's output fields). */
  readonly head: Omit<GetObjectCommandOutput, 'Body' | 'ContentRange'>;
  readonly etag: string | undefined;
}

/**
 * The first steps of download() on either entry: check the parameters, probe the object, and either
 * read it with one GetObject (an empty object, another format) or authenticate its header and plan
 * the runs.
 */
export async function planDownload<M extends { destroy(): void; headerLength: number; layout(total: number): { frameLength: number; regularFrames: number; plaintextLength: number } }>(
  params: DownloadParams,
  port: DownloadPort<M>,
): Promise<{ whole: GetObjectCommandOutput } | DownloadPlan<M>> {
  const { concurrency, partSize, input, o } = downloadParams(params);
  throwIfAborted(o.abortSignal);
  let probe: GetObjectCommandOutput;
  try {
    probe = await port.probe(input, o);
  } catch (error) {
    if (isInvalidRange(error)) return { whole: await port.whole(input, o) }; // an empty object: not framed
    throw error;
  }
  let message: M | undefined;
  try {
    if (!isFramedObject(probe.Metadata)) {
      port.discard(probe.Body);
      return { whole: await port.whole(input, o) };
    }
    const opened = await port.open(input, probe, o);
    message = opened.message;
    const { runs, plaintextLength } = downloadRuns(message, opened.total, partSize);
    const { Body: _b, ContentRange: _r, ...head } = probe;
    return { message, runs, plaintextLength, total: opened.total, concurrency, input, abortSignal: o.abortSignal, head, etag: probe.ETag };
  } catch (error) {
    message?.destroy();
    port.discard(probe.Body);
    throw error;
  }
}
