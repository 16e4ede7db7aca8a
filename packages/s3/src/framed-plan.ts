/**
 * Reading framed objects by range, the transport-independent steps both entries share (no Node
 * import): the header probe (one small ranged GET, extended until the whole header is in hand), the
 * authentication of the header for the object's own bucket and key, and which frames — which
 * ciphertext bytes — hold a requested plaintext range. The Node entry (./framed-read.ts,
 * ./parallel-download.ts) and the web entry (./web-framed-range.ts, ./web-download.ts) stream the
 * frames through their own readers.
 * spec: AWS Encryption SDK specification data-format/message-body.md#framed-data, client-apis/decrypt.md;
 * S3 GetObject Range / If-Match: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 */
import { GetObjectCommand, type GetObjectCommandInput, type GetObjectCommandOutput } from '@aws-sdk/client-s3';
import { FRAMED_SUITE_ID, framedHeaderNeed, malformed, parseHeader, StrongroomError, type EncryptionContext, type FrameSpan, type ParsedHeader } from '@strongroom/core';
import { concatBytes } from './bytes';
import { BINDING_CONTEXT_KEY, checkReadContext, explainBindingFailure, readContext } from './framed-format';
import type { EncryptedSendOptions, ResolvedConfig } from './options';
import { checkContentRange, parseContentRange, resolveRange } from './range-header';

/** Bytes of the first ranged GET of a ranged read, download or HEAD: most headers fit in it. */
export const HEADER_PROBE_BYTES = 4096;
/** Largest header read (10 EDKs of a few KiB each and a large context fit easily). */
export const MAX_HEADER_BYTES = 1024 * 1024;

export type ObjectInput = Pick<GetObjectCommandInput, 'Bucket' | 'Key'> & Partial<GetObjectCommandInput>;
/** Reads a response body whole (at most `limit` bytes): each entry its own stream type. */
export type ReadBody = (body: unknown, limit: number, what: string) => Promise<Uint8Array>;

export const sendOpts = (o: EncryptedSendOptions) => (o.abortSignal ? { abortSignal: o.abortSignal } : {});

/** The GET of the object's first bytes (same request parameters, e.g. VersionId and SSE-C keys). */
export function probeInput(input: ObjectInput): GetObjectCommandInput {
  const { PartNumber: _p, ...rest } = input;
  return { ...rest, Range: `bytes=0-${HEADER_PROBE_BYTES - 1}` };
}

/** Request parameters for a follow-up ranged GET of the same object (pinned by ETag). */
export function followUpInput(input: ObjectInput, etag: string | undefined): GetObjectCommandInput {
  const { PartNumber: _p, Range: _r, ...rest } = input;
  return { ...rest, IfMatch: input.IfMatch ?? etag };
}

/** Extend `prefix` (the object's first bytes) by ranged GETs until it holds the whole header. */
export async function completeHeader(cfg: ResolvedConfig, input: ObjectInput, prefix: Uint8Array, etag: string | undefined, o: EncryptedSendOptions, readBody: ReadBody): Promise<Uint8Array> {
  let bytes = prefix;
  for (let need = framedHeaderNeed(bytes); need > 0; need = framedHeaderNeed(bytes)) {
    if (need > MAX_HEADER_BYTES) throw new StrongroomError('LIMIT_EXCEEDED', `The framed object's header is larger than ${MAX_HEADER_BYTES} bytes`);
    const res = await cfg.client.send(
      new GetObjectCommand({ ...followUpInput(input, etag), Range: `bytes=${bytes.length}-${Math.max(need, bytes.length + HEADER_PROBE_BYTES) - 1}` }),
      sendOpts(o),
    );
    const more = await readBody(res.Body, MAX_HEADER_BYTES, 'framed object header');
    if (more.length === 0) throw malformed('The framed object is truncated inside its header');
    bytes = concatBytes([bytes, more]);
  }
  return bytes;
}

/** The header at the start of `prefix` (whole), checked to be a framed message of suite 0x0478. */
export function framedHeaderOf(prefix: Uint8Array): ParsedHeader {
  const parsed = parseHeader(prefix, { maxEncryptedDataKeys: 10 });
  if (!parsed) throw malformed('The framed object is truncated inside its header');
  if (parsed.header.suite.id !== FRAMED_SUITE_ID || parsed.header.frameLength === 0) {
    throw malformed('The object is marked framed but its body is not a framed message of suite 0x0478');
  }
  return parsed;
}

/** What both entries' `openFramed` resolve. */
interface Opened {
  readonly encryptionContext: EncryptionContext;
  destroy(): void;
}
type OpenFramed<M> = (prefix: Uint8Array, options: { encryptionContext: EncryptionContext; requiredEncryptionContextKeys: readonly string[]; abortSignal?: AbortSignal }) => Promise<M>;

/**
 * Authenticate the header at the start of `prefix` for the object requested at bucket/key: the
 * reproduced context carries the bucket and key when the header says the object is bound to them;
 * then the caller's context must equal the object's.
 */
export async function openBound<M extends Opened>(cfg: ResolvedConfig, bucket: string | undefined, key: string | undefined, prefix: Uint8Array, o: EncryptedSendOptions, open: OpenFramed<M>): Promise<M> {
  const parsed = parseHeader(prefix, { maxEncryptedDataKeys: 10 });
  if (!parsed) throw malformed('The framed object is truncated inside its header');
  const caller = o.encryptionContext ?? {};
  const ctx = readContext(cfg, parsed.header.encryptionContext, bucket, key, caller);
  let message: M;
  try {
    message = await open(prefix, { ...ctx, abortSignal: o.abortSignal });
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
 * From the probe (the object's first bytes and its total length): the whole header — more ranged GETs
 * when it is larger — authenticated for the object's bucket and key with the entry's `open`.
 */
export async function openProbed<M extends Opened>(
  cfg: ResolvedConfig,
  input: ObjectInput,
  probe: GetObjectCommandOutput,
  o: EncryptedSendOptions,
  readBody: ReadBody,
  open: OpenFramed<M>,
): Promise<{ message: M; prefix: Uint8Array; total: number }> {
  const total = parseContentRange(probe.ContentRange).total;
  const first = await readBody(probe.Body, HEADER_PROBE_BYTES, 'framed object header probe');
  const prefix = await completeHeader(cfg, input, first, probe.ETag, o, readBody);
  return { message: await openBound(cfg, input.Bucket, input.Key, prefix, o, open), prefix, total };
}

/** The plaintext bytes a Range selects (S3's semantics, ./range-header.ts) and the frames holding them. */
export function planRange(
  message: { layout(total: number): { plaintextLength: number }; framesFor(start: number, end: number, total: number): FrameSpan },
  range: string,
  total: number,
): { start: number; end: number; plaintextLength: number; span: FrameSpan } {
  const plaintextLength = message.layout(total).plaintextLength;
  const { start, end } = resolveRange(range, plaintextLength);
  return { start, end, plaintextLength, span: message.framesFor(start, end, total) };
}

/**
 * The ranged GET of ciphertext bytes `byteStart`-`byteEnd` (frames a plan chose), pinned to `etag`;
 * MALFORMED unless the response holds exactly those bytes of a `total`-byte object (`release` frees
 * the refused body).
 */
export async function fetchFrames(
  cfg: ResolvedConfig,
  input: ObjectInput,
  etag: string | undefined,
  bytes: { readonly byteStart: number; readonly byteEnd: number },
  total: number,
  abortSignal: AbortSignal | undefined,
  release: (body: unknown) => void,
): Promise<GetObjectCommandOutput> {
  const res = await cfg.client.send(new GetObjectCommand({ ...followUpInput(input, etag), Range: `bytes=${bytes.byteStart}-${bytes.byteEnd}` }), sendOpts({ abortSignal }));
  try {
    checkContentRange(res.ContentRange, bytes.byteStart, bytes.byteEnd, total);
  } catch (error) {
    release(res.Body);
    throw error;
  }
  return res;
}

/**
 * Cuts verified plaintext, piece by piece in order, to the window `skip` … `skip + length − 1` of a
 * run's plaintext (the requested range inside the frames that hold it).
 */
export function plaintextWindow(skip: number, length: number): (pieces: readonly Uint8Array[]) => Uint8Array[] {
  let toSkip = skip;
  let remaining = length;
  return (pieces) => {
    const out: Uint8Array[] = [];
    for (const p of pieces) {
      let piece = p;
      if (toSkip > 0) {
        const s = Math.min(toSkip, piece.length);
        piece = piece.subarray(s);
        toSkip -= s;
      }
      if (piece.length > remaining) piece = piece.subarray(0, remaining);
      remaining -= piece.length;
      if (piece.length > 0) out.push(piece);
    }
    return out;
  };
}
