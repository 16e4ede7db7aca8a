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
  framedHeaderNeed,
  framedLayout,
  malformed,
  StrongroomError,
  type FramedMessage,
  type FrameRunReader,
} from '@strongroom/core';
import { collect, destroyBody, iterateBody, readableOf } from './body';
import { asNodeReadable, pumpReadable, readPrefix, type PumpSteps } from './body-pump';
import { isFramedObject } from './framed-format';
import { framedClient } from './framed-client';
import { completeHeader, fetchFrames, framedHeaderOf, HEADER_PROBE_BYTES, MAX_HEADER_BYTES, openBound, openProbed, planRange, plaintextWindow, probeInput, sendOpts, type ObjectInput, type ReadBody } from './framed-plan';
import type { EncryptedSendOptions, ResolvedConfig } from './options';

/** Reads a Node response body whole, at most `limit` bytes. */
export const readNodeBody: ReadBody = (body, limit, what) => collect(iterateBody(body), limit, what);

/** GET of the object's first bytes (same request parameters, e.g. VersionId and SSE-C keys). */
export async function probeObject(cfg: ResolvedConfig, input: ObjectInput, o: EncryptedSendOptions): Promise<GetObjectCommandOutput> {
  return cfg.client.send(new GetObjectCommand(probeInput(input)), sendOpts(o));
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

/**
 * Authenticate the header at the start of `prefix` for the object requested at bucket/key
 * (./framed-plan.ts `openBound`, with the Node client's `openFramed`).
 */
export function openFramedObject(cfg: ResolvedConfig, bucket: string | undefined, key: string | undefined, prefix: Uint8Array, o: EncryptedSendOptions): Promise<FramedMessage> {
  return openBound(cfg, bucket, key, prefix, o, (bytes, options) => framedClient(cfg).openFramed(bytes, options));
}

/** The probed object's header, whole and authenticated (./framed-plan.ts `openProbed`). */
export function openProbedObject(cfg: ResolvedConfig, input: ObjectInput, probe: GetObjectCommandOutput, o: EncryptedSendOptions): Promise<{ message: FramedMessage; prefix: Uint8Array; total: number }> {
  return openProbed(cfg, input, probe, o, readNodeBody, (bytes, options) => framedClient(cfg).openFramed(bytes, options));
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
  const cut = plaintextWindow(skip, length);
  function* emit(pieces: Uint8Array[]): Generator<Buffer> {
    for (const p of cut(pieces)) yield Buffer.from(p.buffer, p.byteOffset, p.byteLength);
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
    const opened = await openProbedObject(cfg, input, probe, o);
    message = opened.message;
    const { prefix, total } = opened;
    const { start, end, plaintextLength: P, span } = planRange(message, range, total);
    let res: GetObjectCommandOutput = probe;
    let source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
    if (span.byteEnd < prefix.length) {
      source = [prefix.subarray(span.byteStart, span.byteEnd + 1)];
    } else {
      res = await fetchFrames(cfg, input, probe.ETag, span, total, o.abortSignal, destroyBody);
      source = iterateBody(res.Body);
    }
    const reader = message.frameReader(span.firstSequence, span.lastSequence, span.lastIsFinal);
    const body = readableOf(release(reader, message, source, res.Body, span.skip, end - start + 1));
    return { ...res, Body: body as GetObjectCommandOutput['Body'], ContentLength: end - start + 1, ContentRange: `bytes ${start}-${end}/${P}` };
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
  const prefix = await completeHeader(cfg, rest, first, res.ETag, o, readNodeBody);
  const parsed = framedHeaderOf(prefix);
  const layout = framedLayout(parsed.length, parsed.header.frameLength, res.ContentLength);
  return { ...res, ContentLength: layout.plaintextLength };
}
