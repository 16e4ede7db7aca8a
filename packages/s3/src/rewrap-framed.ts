/**
 * Re-wrapping a framed object: its body is an AWS Encryption SDK message whose header holds the
 * encrypted data keys (spec: AWS Encryption SDK data-format/message-header.md). The new header has
 * the same suite, message id, key commitment, stored context and frame length, new encrypted data
 * keys, and a header tag recomputed with the same data key (`client.rewrapHeader` in
 * @strongroom/core). The frames stay valid as they are: their AAD holds the message id and sequence
 * number, not the header (data-format/message-body-aad.md). The bucket/key binding is reproduced
 * from the object's own location, as on a GET.
 *
 * The body changes at its start, so it is rewritten server-side where possible
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/CopyingObjectsMPUapi.html): a multipart
 * upload whose part 1 is the new header and the first 5 MiB after the old one (downloaded and
 * uploaded again), and whose other parts are `UploadPartCopy` ranges of the rest. Smaller objects are
 * one PUT of the new header and the old body. Every read and copy is pinned to the ETag read first
 * (`IfMatch`, `CopySourceIfMatch`), and the PUT is conditional on it too (`If-Match`,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { framedHeaderNeed, malformed, parseHeader, StrongroomError, type KeyProvider } from '@strongroom/core';
import { collect, iterateBody } from './body';
import { explainBindingFailure, readContext } from './framed-format';
import { framedClient } from './framed-client';
import type { EncryptedSendOptions, ResolvedConfig } from './options';
import { etagOf, keptHeaders, multipartSelfCopy, type CopySource, type SelfCopyOptions } from './rewrap-copy';

/** S3's smallest part (all but the last). */
const MIN_PART = 5 * 1024 ** 2;
/** Objects up to this size are re-wrapped with one PUT (held in memory). */
export const FRAMED_PUT_LIMIT = 16 * 1024 ** 2;
const MAX_HEADER_BYTES = 1024 * 1024;
const PROBE = 4096;

/** Internal knobs (tests): the single-PUT limit and the copied part size. */
export interface FramedRewrapOptions extends SelfCopyOptions {
  readonly putLimit?: number;
}

async function readRange(cfg: ResolvedConfig, source: CopySource, start: number, endExclusive: number, o: EncryptedSendOptions): Promise<Buffer> {
  if (endExclusive <= start) return Buffer.alloc(0);
  const res = await cfg.client.send(
    new GetObjectCommand({ Bucket: source.bucket, Key: source.key, Range: `bytes=${start}-${endExclusive - 1}`, IfMatch: etagOf(source.head) }),
    o.abortSignal ? { abortSignal: o.abortSignal } : {},
  );
  const bytes = await collect(iterateBody(res.Body), endExclusive - start, 'framed object range');
  if (bytes.length !== endExclusive - start) throw malformed('the framed object is shorter than its Content-Length');
  return bytes;
}

/**
 * Re-wrap the framed object `source` under `toProvider`. Returns the new ETag and the provider ids
 * of the encrypted data keys before.
 * @throws StrongroomError as a framed GET would (binding, NO_DECRYPTION_KEY, AUTHENTICATION_FAILED);
 *   S3 errors pass through (412 when the object changed since it was read).
 */
export async function rewrapFramedObject(
  cfg: ResolvedConfig,
  source: CopySource,
  toProvider: KeyProvider,
  o: EncryptedSendOptions,
  copy: FramedRewrapOptions = {},
): Promise<{ etag: string | undefined; from: string }> {
  const size = source.head.ContentLength ?? 0;
  const putLimit = Math.max(copy.putLimit ?? FRAMED_PUT_LIMIT, 0);
  // The header (and, for a small object, everything).
  let prefix = await readRange(cfg, source, 0, Math.min(size, size <= putLimit ? size : PROBE), o);
  for (let need = framedHeaderNeed(prefix); need > 0; need = framedHeaderNeed(prefix)) {
    if (need > MAX_HEADER_BYTES || need > size) throw malformed('the framed object is truncated inside its header, or its header is larger than 1 MiB');
    prefix = Buffer.concat([prefix, await readRange(cfg, source, prefix.length, Math.min(size, Math.max(need, prefix.length + PROBE)), o)]);
  }
  const parsed = parseHeader(prefix, { maxEncryptedDataKeys: 10 });
  if (!parsed) throw malformed('the framed object is truncated inside its header');
  const from = [...new Set(parsed.header.encryptedDataKeys.map((e) => e.providerId))].join(',');
  const ctx = readContext(cfg, parsed.header.encryptionContext, source.bucket, source.key, o.encryptionContext ?? {});
  const bound = ctx.requiredEncryptionContextKeys.length > 0;
  let header: Uint8Array;
  try {
    header = await framedClient(cfg).rewrapHeader(prefix.subarray(0, parsed.length), {
      encryptionContext: ctx.encryptionContext,
      requiredEncryptionContextKeys: ctx.requiredEncryptionContextKeys,
      keyProviders: [toProvider],
      ...(o.abortSignal ? { abortSignal: o.abortSignal } : {}),
    });
  } catch (error) {
    throw explainBindingFailure(error, source.bucket, source.key, bound);
  }
  const metadata = source.head.Metadata ?? {};
  const send = o.abortSignal ? { abortSignal: o.abortSignal } : {};
  if (size <= putLimit) {
    const body = Buffer.concat([header, prefix.subarray(parsed.length)]);
    const put = (ifMatch: string) =>
      cfg.client.send(
        new PutObjectCommand({ Bucket: source.bucket, Key: source.key, Body: body, ContentLength: body.length, Metadata: metadata, IfMatch: ifMatch, ...keptHeaders(source.head) }),
        send,
      );
    const etag = etagOf(source.head);
    try {
      return { etag: (await put(etag)).ETag, from };
    } catch (error) {
      // Ceph RGW 16 compares a PUT's If-Match with the ETag unquoted: when the object has not
      // changed (HEAD says so), ask again in that form; a real change passes the 412 through.
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 412 || !etag.startsWith('"')) throw error;
      const now = await cfg.client.send(new HeadObjectCommand({ Bucket: source.bucket, Key: source.key }), send);
      if (now.ETag !== etag) throw error;
      return { etag: (await put(etag.slice(1, -1))).ETag, from };
    }
  }
  // Part 1: the new header and the bytes after the old one up to 5 MiB in all; the rest copied.
  const cut = Math.min(size, parsed.length + Math.max(MIN_PART - header.length, 0));
  if (size - cut < 1) throw new StrongroomError('INVALID_ARGUMENT', 'putLimit: too small for this object (nothing left to copy after the first part)');
  const head = Buffer.concat([header, prefix.subarray(parsed.length, Math.min(prefix.length, cut)), await readRange(cfg, source, Math.max(prefix.length, parsed.length), cut, o)]);
  const etag = await multipartSelfCopy(cfg.client, source, metadata, { firstPart: head, copyFrom: cut }, { ...copy, abortSignal: o.abortSignal });
  return { etag, from };
}
