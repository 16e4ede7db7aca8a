/**
 * Reading framed objects: GetObject streams plaintext frame by frame (each frame released only after
 * its tag verifies, one frame in memory at most); a ranged GET fetches the header (one small ranged
 * GET), computes the frames that cover the requested plaintext, fetches exactly those with one more
 * ranged GET, verifies each and returns the requested slice with S3's range semantics; HEAD computes
 * the plaintext length from the object's length and its header.
 * spec: AWS Encryption SDK specification data-format/message-body.md#framed-data and
 * client-apis/decrypt.md; HTTP ranges: RFC 9110 §14 (416 for a range that starts past the end);
 * S3 GetObject Range: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 */
import {
  GetObjectCommand,
  type GetObjectCommandInput,
  type GetObjectCommandOutput,
  type HeadObjectCommandInput,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import {
  FRAMED_SUITE_ID,
  framedHeaderNeed,
  framedLayout,
  malformed,
  parseHeader,
  StrongroomError,
  type FramedMessage,
  type FrameRunReader,
} from '@strongroom/core';
import { collect, destroyBody, iterateBody, readableOf } from './body';
import { asNodeReadable, pumpReadable, readPrefix, type PumpSteps } from './body-pump';
import { BINDING_CONTEXT_KEY, checkReadContext, explainBindingFailure, isFramedObject, readContext } from './framed-format';
import { framedClient } from './framed-client';
import type { EncryptedSendOptions, ResolvedConfig } from './options';
import { isSuffixRange, notSatisfiable, parseContentRange, parseRange } from './ranged-get';

/** Bytes of the first ranged GET of a ranged read or HEAD: most headers fit in it. */
export const HEADER_PROBE_BYTES = 4096;
/** Largest header read (10 EDKs of a few KiB each and a large context fit easily). */
const MAX_HEADER_BYTES = 1024 * 1024;

const sendOpts = (o: EncryptedSendOptions) => (o.abortSignal ? { abortSignal: o.abortSignal } : {});
type ObjectInput = Pick<GetObjectCommandInput, 'Bucket' | 'Key'> & Partial<GetObjectCommandInput>;

/** GET of the object's first bytes (same request parameters, e.g. VersionId and SSE-C keys). */
export async function probeObject(cfg: ResolvedConfig, input: ObjectInput, o: EncryptedSendOptions): Promise<GetObjectCommandOutput> {
  const { PartNumber: _p, ...rest } = input;
  return cfg.client.send(new GetObjectCommand({ ...rest, Range: `bytes=0-${HEADER_PROBE_BYTES - 1}` }), sendOpts(o));
}

/** Whether a GetObject response is of a framed object (its body is released when the marker is bad). */
export function isFramedResponse(res: GetObjectCommandOutput): boolean {
  try {
    return isFramedObject(res.Metadata);
  } catch (error) {
    destroyBody(res.Body);
    throw error;
  }
}

/** Extend `prefix` (the object's first bytes) by ranged GETs until it holds the whole header. */
export async function completeHeader(cfg: ResolvedConfig, input: ObjectInput, prefix: Buffer, etag: string | undefined, o: EncryptedSendOptions): Promise<Buffer> {
  let bytes = prefix;
  for (let need = framedHeaderNeed(bytes); need > 0; need = framedHeaderNeed(bytes)) {
    if (need > MAX_HEADER_BYTES) throw new StrongroomError('LIMIT_EXCEEDED', `The framed object's header is larger than ${MAX_HEADER_BYTES} bytes`);
    const res = await cfg.client.send(
      new GetObjectCommand({ ...ranged(input, etag), Range: `bytes=${bytes.length}-${Math.max(need, bytes.length + HEADER_PROBE_BYTES) - 1}` }),
      sendOpts(o),
    );
    const more = await collect(iterateBody(res.Body), MAX_HEADER_BYTES, 'framed object header');
    if (more.length === 0) throw malformed('The framed object is truncated inside its header');
    bytes = Buffer.concat([bytes, more]);
  }
  return bytes;
}

/** Request parameters for a follow-up ranged GET of the same object (pinned by ETag). */
function ranged(input: ObjectInput, etag: string | undefined): GetObjectCommandInput {
  const { PartNumber: _p, Range: _r, ...rest } = input;
  return { ...rest, IfMatch: input.IfMatch ?? etag };
}

/**
 * Authenticate the header at the start of `prefix` for the object requested at bucket/key: the
 * reproduced context carries the bucket and key when the header says the object is bound to them.
 */
export async function openFramedObject(
  cfg: ResolvedConfig,
  bucket: string | undefined,
  key: string | undefined,
  prefix: Uint8Array,
  o: EncryptedSendOptions,
): Promise<FramedMessage> {
  const parsed = parseHeader(prefix, { maxEncryptedDataKeys: 10 });
  if (!parsed) throw malformed('The framed object is truncated inside its header');
  const caller = o.encryptionContext ?? {};
  const ctx = readContext(cfg, parsed.header.encryptionContext, bucket, key, caller);
  let message: FramedMessage;
  try {
    message = await framedClient(cfg).openFramed(prefix, { ...ctx, abortSignal: o.abortSignal });
  } catch (error) {
    throw explainBindingFailure(error, bucket, key, Object.hasOwn(parsed.header.encryptionContext, BINDING_CONTEXT_KEY));
  }
  try {
    checkReadContext(message.encryptionContext, caller);
  } catch (error) {
    message.destroy();
    throw error;
  }
  return message;
}

/**
 * Feed ciphertext to `reader` and yield the verified plaintext, minus `skip` leading bytes and cut
 * at `length` bytes. Always wipes the key and releases the source.
 */
async function* release(
  reader: FrameRunReader,
  message: FramedMessage,
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  source: unknown,
  skip: number,
  length: number,
): AsyncGenerator<Buffer> {
  let toSkip = skip;
  let remaining = length;
  function* emit(pieces: Uint8Array[]): Generator<Buffer> {
    for (const p of pieces) {
      let piece = Buffer.from(p.buffer, p.byteOffset, p.byteLength);
      if (toSkip > 0) {
        const s = Math.min(toSkip, piece.length);
        piece = piece.subarray(s);
        toSkip -= s;
      }
      if (piece.length > remaining) piece = piece.subarray(0, remaining);
      remaining -= piece.length;
      if (piece.length > 0) yield piece;
    }
  }
  try {
    for await (const c of chunks) yield* emit(reader.write(c));
    yield* emit(reader.end());
  } catch (error) {
    reader.destroy();
    throw error;
  } finally {
    message.destroy();
    destroyBody(source);
  }
}

/** Pump steps (./body-pump.ts) feeding a frame reader; the message key is wiped when the stream ends. */
function frameSteps(reader: FrameRunReader, message: FramedMessage): PumpSteps {
  return {
    write: (chunk) => reader.write(chunk),
    end: () => reader.end(),
    abort: () => reader.destroy(),
    cleanup: () => message.destroy(),
  };
}

/**
 * Full GET of a framed object (`res` = the plain GetObject response): streamed, each frame verified.
 * The response's chunks go straight to the frame reader (no re-chunking, no generator per chunk).
 */
export async function getFramedObject(cfg: ResolvedConfig, input: GetObjectCommandInput, res: GetObjectCommandOutput, o: EncryptedSendOptions): Promise<GetObjectCommandOutput> {
  const source = asNodeReadable(iterateBody(res.Body));
  let message: FramedMessage | undefined;
  let prefix: Buffer;
  let plaintextLength: number | undefined;
  try {
    prefix = await readPrefix(
      source,
      (bytes) => {
        const need = framedHeaderNeed(bytes);
        if (need > MAX_HEADER_BYTES) throw new StrongroomError('LIMIT_EXCEEDED', `The framed object's header is larger than ${MAX_HEADER_BYTES} bytes`);
        return need;
      },
      () => malformed('The framed object is truncated inside its header'),
    );
    message = await openFramedObject(cfg, input.Bucket, input.Key, prefix, o);
    if (res.ContentLength !== undefined) plaintextLength = message.layout(res.ContentLength).plaintextLength;
  } catch (error) {
    message?.destroy();
    source.destroy();
    throw error;
  }
  const body = pumpReadable(source, frameSteps(message.frameReader(1), message), prefix.subarray(message.headerLength));
  return { ...res, Body: body as GetObjectCommandOutput['Body'], ContentLength: plaintextLength };
}

/** Ranged GET of a framed object; `probe` = the response to {@link probeObject}. */
export async function getFramedRange(
  cfg: ResolvedConfig,
  input: GetObjectCommandInput,
  probe: GetObjectCommandOutput,
  o: EncryptedSendOptions,
): Promise<GetObjectCommandOutput> {
  const range = input.Range!;
  let message: FramedMessage | undefined;
  try {
    const total = parseContentRange(probe.ContentRange).total;
    const first = await collect(iterateBody(probe.Body), HEADER_PROBE_BYTES, 'framed object header probe');
    const prefix = await completeHeader(cfg, input, first, probe.ETag, o);
    message = await openFramedObject(cfg, input.Bucket, input.Key, prefix, o);
    const layout = message.layout(total);
    const P = layout.plaintextLength;
    // S3's semantics: a suffix longer than the object is the whole object; bytes=-0, a start at or
    // past the end, and any range of an empty object are 416 InvalidRange; an end past the end is clamped.
    if (P === 0) throw notSatisfiable(range);
    const r = isSuffixRange(range) ? parseRange(range, P) : parseRange(range);
    if (r.start >= P) throw notSatisfiable(range);
    const end = Math.min(r.end ?? P - 1, P - 1);
    const span = message.framesFor(r.start, end, total);
    let res: GetObjectCommandOutput = probe;
    let source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
    if (span.byteEnd < prefix.length) {
      source = [prefix.subarray(span.byteStart, span.byteEnd + 1)];
    } else {
      res = await cfg.client.send(new GetObjectCommand({ ...ranged(input, probe.ETag), Range: `bytes=${span.byteStart}-${span.byteEnd}` }), sendOpts(o));
      let got: { start: number; end: number; total: number };
      try {
        got = parseContentRange(res.ContentRange);
      } catch (error) {
        destroyBody(res.Body);
        throw error;
      }
      if (got.start !== span.byteStart || got.end !== span.byteEnd || got.total !== total) {
        destroyBody(res.Body);
        throw malformed(`The ranged GET returned bytes ${got.start}-${got.end}/${got.total}, not ${span.byteStart}-${span.byteEnd}/${total}: the object changed or the server ignored the range`);
      }
      source = iterateBody(res.Body);
    }
    const reader = message.frameReader(span.firstSequence, span.lastSequence, span.lastIsFinal);
    const body = readableOf(release(reader, message, source, res.Body, span.skip, end - r.start + 1));
    return { ...res, Body: body as GetObjectCommandOutput['Body'], ContentLength: end - r.start + 1, ContentRange: `bytes ${r.start}-${end}/${P}` };
  } catch (error) {
    message?.destroy();
    destroyBody(probe.Body);
    throw error;
  }
}

/**
 * HEAD of a framed object: the plaintext length from the object's real length and its header (read
 * with one small ranged GET, not authenticated — GetObject authenticates every byte it returns).
 */
export async function headFramed(cfg: ResolvedConfig, input: HeadObjectCommandInput, res: HeadObjectCommandOutput, o: EncryptedSendOptions): Promise<HeadObjectCommandOutput> {
  if (res.ContentLength === undefined) return res;
  // The HEAD's own conditions held; the probe is pinned to the object it saw.
  const rest: ObjectInput = {
    Bucket: input.Bucket,
    Key: input.Key,
    VersionId: input.VersionId,
    SSECustomerAlgorithm: input.SSECustomerAlgorithm,
    SSECustomerKey: input.SSECustomerKey,
    SSECustomerKeyMD5: input.SSECustomerKeyMD5,
    ExpectedBucketOwner: input.ExpectedBucketOwner,
    RequestPayer: input.RequestPayer,
  };
  const probe = await probeObject(cfg, { ...rest, IfMatch: res.ETag }, o);
  const first = await collect(iterateBody(probe.Body), HEADER_PROBE_BYTES, 'framed object header probe');
  const prefix = await completeHeader(cfg, rest, first, res.ETag, o);
  const parsed = parseHeader(prefix, { maxEncryptedDataKeys: 10 })!;
  if (parsed.header.suite.id !== FRAMED_SUITE_ID || parsed.header.frameLength === 0) {
    throw malformed('The object is marked framed but its body is not a framed message of suite 0x0478');
  }
  const layout = framedLayout(parsed.length, parsed.header.frameLength, res.ContentLength);
  return { ...res, ContentLength: layout.plaintextLength };
}
