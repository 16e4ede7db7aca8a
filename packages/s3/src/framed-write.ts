/**
 * Writing framed objects: PutObject streams the message frame by frame (its length is known up
 * front, so S3 gets a Content-Length), and multipart uploads carry whole frames per part, each part
 * sealed on its own (frame sequence numbers follow from the part number).
 * spec: AWS Encryption SDK specification data-format/message-body.md#framed-data; S3 PutObject and
 * UploadPart: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html,
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPart.html
 */
import { PutObjectCommand, type PutObjectCommandInput, type PutObjectCommandOutput } from '@aws-sdk/client-s3';
import { StrongroomError, type EncryptionContext, type FramedSealer } from '@strongroom/core';
import { collect, destroyBody, inMemoryBytes, iterateBody, readableOf } from './body';
import { frameCount, framedLength, framedMetadata, writeContext } from './framed-format';
import { checkFramedPartSize, frameOfPart, maxPartBytes, partFrames } from './framed-parts';

export { framedMetadata };
import { framedClient } from './framed-client';
import type { EncryptedSendOptions, ResolvedConfig } from './options';

/** A sealer for a new framed object at bucket/key (the binding and the caller's context applied). */
export async function newFramedSealer(
  cfg: ResolvedConfig,
  bucket: string | undefined,
  key: string | undefined,
  encryptionContext: EncryptionContext,
  abortSignal: AbortSignal | undefined,
  plaintextLength?: number,
): Promise<FramedSealer> {
  const ctx = writeContext(cfg, bucket, key, encryptionContext);
  return framedClient(cfg).createFramedSealer({ ...ctx, abortSignal, plaintextLength });
}

/** Header, then every frame, sealed as the plaintext arrives; exactly `total` plaintext bytes. */
async function* sealStream(sealer: FramedSealer, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, total: number): AsyncGenerator<Buffer> {
  const L = sealer.frameLength;
  const frames = frameCount(total, L);
  let sequence = 1;
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  let seen = 0;
  const frameSize = (s: number) => (s < frames ? L : total - (frames - 1) * L);
  const seal = (): Buffer => {
    const want = frameSize(sequence);
    const pieces: Uint8Array[] = [];
    let need = want;
    while (need > 0) {
      const head = pending[0]!;
      if (head.length <= need) {
        pieces.push(head);
        pending.shift();
        need -= head.length;
      } else {
        pieces.push(head.subarray(0, need));
        pending[0] = head.subarray(need);
        need = 0;
      }
    }
    pendingLength -= want;
    const out = sealer.sealFrame(sequence, pieces, sequence === frames);
    sequence++;
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  };
  try {
    yield Buffer.from(sealer.headerBytes);
    for await (const chunk of source) {
      seen += chunk.length;
      if (seen > total) throw new StrongroomError('INVALID_ARGUMENT', 'Body is longer than ContentLength');
      if (chunk.length === 0) continue;
      pending.push(chunk);
      pendingLength += chunk.length;
      while (sequence <= frames && pendingLength >= frameSize(sequence) && (sequence < frames || seen === total)) yield seal();
    }
    if (seen !== total) throw new StrongroomError('INVALID_ARGUMENT', 'Body is shorter than ContentLength');
    while (sequence <= frames) yield seal();
    sealer.finish();
  } finally {
    sealer.destroy();
    pending = [];
    destroyBody(source);
  }
}

/** PutObject of a framed object: the body is an AWS Encryption SDK message. */
export async function putFramed(cfg: ResolvedConfig, input: PutObjectCommandInput, o: EncryptedSendOptions): Promise<PutObjectCommandOutput> {
  let bytes = await inMemoryBytes(input.Body);
  if (bytes === undefined && input.ContentLength === undefined) {
    // A stream of unknown length: S3 needs Content-Length, so hold it (bounded); upload() streams instead.
    bytes = await collect(iterateBody(input.Body), cfg.bufferSize, 'PutObject Body without ContentLength (use upload() for large streams)');
  }
  const plaintextLength = bytes ? bytes.length : input.ContentLength!;
  if (!Number.isSafeInteger(plaintextLength) || plaintextLength < 0) throw new StrongroomError('INVALID_ARGUMENT', 'ContentLength: a non-negative integer');
  const sealer = await newFramedSealer(cfg, input.Bucket, input.Key, o.encryptionContext ?? {}, o.abortSignal, plaintextLength);
  const length = framedLength(sealer.headerBytes.length, sealer.frameLength, plaintextLength);
  let body: Buffer | ReturnType<typeof readableOf>;
  if (bytes) {
    const parts: Buffer[] = [];
    for await (const piece of sealStream(sealer, [bytes], plaintextLength)) parts.push(piece);
    body = Buffer.concat(parts, length);
  } else {
    body = readableOf(sealStream(sealer, iterateBody(input.Body), plaintextLength));
  }
  return cfg.client.send(
    new PutObjectCommand({ ...input, Body: body, ContentLength: length, Metadata: framedMetadata(input.Metadata) }),
    o.abortSignal ? { abortSignal: o.abortSignal } : {},
  );
}

/** Seals the parts of a framed multipart upload: part n holds frames (n − 1)·k + 1 … n·k. */
export interface FramedParts {
  /** Largest sealed part: header + partSize + per-frame overhead. */
  readonly maxPartBytes: number;
  /**
   * Seal part `partNumber` (its plaintext: partSize bytes, or fewer for the last) into `target`;
   * returns the used view. Parts may be sealed in any order.
   */
  sealPartInto(partNumber: number, plaintext: Uint8Array, isLast: boolean, target: Buffer): Buffer;
  /** Every frame up to the final one sealed? (else INVALID_ARGUMENT); wipes the key. */
  finish(): void;
  destroy(): void;
}

/** `partSize` must be a positive multiple of the frame length (parts carry whole frames, ./framed-parts.ts). */
export function framedParts(sealer: FramedSealer, partSize: number): FramedParts {
  const L = sealer.frameLength;
  try {
    checkFramedPartSize(partSize, L);
  } catch (error) {
    sealer.destroy();
    throw error;
  }
  const header = sealer.headerBytes;
  return {
    maxPartBytes: maxPartBytes(header.length, partSize, L),
    sealPartInto(partNumber, plaintext, isLast, target) {
      const { first, count } = partFrames(partNumber, plaintext.length, isLast, partSize, L);
      let pos = 0;
      if (partNumber === 1) pos += Buffer.from(header.buffer, header.byteOffset, header.byteLength).copy(target, pos);
      for (let i = 0; i < count; i++) {
        const { bytes, final } = frameOfPart(plaintext, i, count, isLast, L);
        pos += sealer.sealFrameInto(first + i, bytes, final, target, pos);
      }
      return target.subarray(0, pos);
    },
    finish: () => sealer.finish(),
    destroy: () => sealer.destroy(),
  };
}
