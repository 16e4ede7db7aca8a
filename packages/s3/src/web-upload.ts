/**
 * Encrypted multipart upload on the web entry, like `@aws-sdk/lib-storage`'s `Upload` (the same
 * 'httpUploadProgress' event and payload: `{ loaded, total, part, Key, Bucket }`, loaded/total in
 * plaintext bytes). Framed objects stream with the Node entry's layout (./framed-parts.ts): the body
 * (a File/Blob, a ReadableStream, bytes) is cut into plaintext parts of `partSize` bytes (a multiple
 * of the frame length), each part sealed on its own as whole frames by core's web framed sealer (the
 * first part prefixed by the header), so ranged GETs and download() find frames where the layout says;
 * up to `queueSize` parts are on the wire at once — memory ≈ (queueSize + 1) × partSize. V3/V2
 * objects are one AES-GCM over the whole body (one-shot in Web Crypto), so their body is held in
 * memory (at most `bufferSize`) and then sent in parts. On any failure the multipart upload is
 * aborted, so no object becomes visible; the upload carries the same metadata and marker object as
 * the Node entry's (./upload-marker-name.ts), so `strongroom s3 cleanup` finds one a closed tab left.
 * spec: S3 CreateMultipartUpload / UploadPart / CompleteMultipartUpload / AbortMultipartUpload
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html), s3-encryption/client.md;
 * AWS Encryption SDK specification data-format/message-body.md#framed-data.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type CompleteMultipartUploadCommandOutput,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { StrongroomError, type EncryptionContext, type WebFramedSealer } from '@strongroom/core/web';
import { concatBytes, utf8 } from './bytes';
import { framedMetadata, writeContext } from './framed-format';
import { checkFramedPartSize, defaultFramedPartSize, frameOfPart, partFrames } from './framed-parts';
import { checkNoPlaintextChecksums, checkUserMetadata } from './metadata-checks';
import type { ResolvedConfig } from './options';
import { requestSignals } from './request-signal';
import { markerBody, markerKeyFromDigest, uploadMetadata } from './upload-marker-name';
import { byteStream, knownLength, readAll } from './web-body';
import { exactly, webFramedClient } from './web-framed';
import { sealWhole } from './web-object-ops';

/** The progress payload of lib-storage's Upload. */
export interface WebProgress {
  loaded?: number;
  total?: number;
  part?: number;
  Key?: string;
  Bucket?: string;
}

/** Input of the web `upload()`: a PutObject input plus part size, queue size, encryption context and abort signal. */
export interface WebUploadParams extends Omit<PutObjectCommandInput, 'Body'> {
  readonly Body: unknown;
  /**
   * Bytes per part (S3 needs ≥ 5 MiB for all but the last). Framed: plaintext bytes, a multiple of the
   * frame length (default 8 MiB rounded down to whole frames). V3/V2: ciphertext bytes, at least 1 KiB
   * (default 8 MiB).
   */
  readonly partSize?: number;
  /** Parts in flight at once. Default 4. */
  readonly queueSize?: number;
  readonly abortSignal?: AbortSignal;
  readonly encryptionContext?: EncryptionContext;
}

/** `upload()`'s part size when none is given: 8 MiB (for framed objects, rounded to whole frames). */
export const WEB_DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** `upload()`'s parts in flight when `queueSize` is not given. */
export const WEB_DEFAULT_QUEUE_SIZE = 4;
const MAX_PARTS = 10_000;

async function sha256Hex(s: string): Promise<string> {
  const d = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', utf8(s) as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Cut a stream into parts of exactly `size` bytes (the last shorter), knowing which part is last. */
async function* partsOf(stream: ReadableStream<Uint8Array>, size: number): AsyncGenerator<{ data: Uint8Array; isLast: boolean }> {
  const reader = stream.getReader();
  let carry: Uint8Array | undefined;
  let ended = false;
  const next = async (): Promise<Uint8Array | undefined> => {
    if (carry) {
      const c = carry;
      carry = undefined;
      return c;
    }
    while (!ended) {
      const r = await reader.read();
      if (r.done) ended = true;
      else if (r.value.length > 0) return r.value;
    }
    return undefined;
  };
  try {
    for (;;) {
      const part = new Uint8Array(size);
      let filled = 0;
      while (filled < size) {
        const chunk = await next();
        if (!chunk) break;
        const take = Math.min(size - filled, chunk.length);
        part.set(chunk.subarray(0, take), filled);
        filled += take;
        if (take < chunk.length) carry = chunk.subarray(take);
      }
      const peek = await next();
      if (peek) carry = peek;
      yield { data: part.subarray(0, filled), isLast: !peek };
      if (!peek) return;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** A part to send: its bytes, the plaintext bytes it carries, whether it is the last. */
interface SourcePart {
  readonly data: Uint8Array;
  readonly plain: number;
  readonly isLast: boolean;
}

interface PartSource {
  readonly parts: AsyncGenerator<SourcePart>;
  readonly metadata: Record<string, string>;
  readonly total: number | undefined;
  /** Framed: every frame up to the final one sealed (else INVALID_ARGUMENT); forgets the key. */
  readonly finish: () => void;
  readonly destroy: () => void;
}

/**
 * Framed parts: each plaintext part sealed on its own as whole frames (./framed-parts.ts), the frames
 * of a part sealed concurrently; the plaintext part is wiped once sealed.
 */
async function* sealedParts(sealer: WebFramedSealer, plaintext: AsyncGenerator<{ data: Uint8Array; isLast: boolean }>, partSize: number): AsyncGenerator<SourcePart> {
  const L = sealer.frameLength;
  let partNumber = 0;
  for await (const part of plaintext) {
    partNumber++;
    const { first, count } = partFrames(partNumber, part.data.length, part.isLast, partSize, L);
    try {
      const frames = await Promise.all(
        Array.from({ length: count }, (_, i) => {
          const f = frameOfPart(part.data, i, count, part.isLast, L);
          return sealer.sealFrame(first + i, f.bytes, f.final);
        }),
      );
      yield { data: concatBytes(partNumber === 1 ? [sealer.headerBytes, ...frames] : frames), plain: part.data.length, isLast: part.isLast };
    } finally {
      part.data.fill(0);
    }
  }
}

/** V2/V3 parts: the whole ciphertext ‖ tag cut into `partSize` bytes; the tag's bytes carry no plaintext. */
async function* wholeParts(body: Uint8Array, plaintextLength: number, partSize: number): AsyncGenerator<SourcePart> {
  for (let at = 0; at === 0 || at < body.length; at += partSize) {
    const end = Math.min(body.length, at + partSize);
    yield { data: body.subarray(at, end), plain: Math.min(plaintextLength, end) - Math.min(plaintextLength, at), isLast: end === body.length };
  }
}

/**
 * A running encrypted upload (from `EncryptedS3Client.upload()` of the web entry). Listen with
 * `on('httpUploadProgress', listener)` and await `done()`.
 */
export class WebEncryptedUpload {
  readonly #cfg: ResolvedConfig;
  readonly #params: WebUploadParams & { partSize: number; queueSize: number };
  readonly #controller = new AbortController();
  readonly #listeners = new Set<(p: WebProgress) => void>();
  #promise: Promise<CompleteMultipartUploadCommandOutput> | undefined;

  /** @throws StrongroomError INVALID_ARGUMENT for a bad partSize/queueSize or reserved metadata. */
  constructor(cfg: ResolvedConfig, params: WebUploadParams) {
    const framed = cfg.writeFormat === 'framed';
    const partSize = params.partSize ?? (framed ? defaultFramedPartSize(cfg.frameLength, WEB_DEFAULT_PART_SIZE) : WEB_DEFAULT_PART_SIZE);
    const queueSize = params.queueSize ?? WEB_DEFAULT_QUEUE_SIZE;
    if (framed) checkFramedPartSize(partSize, cfg.frameLength);
    else if (!Number.isSafeInteger(partSize) || partSize < 1024 || partSize > 5 * 1024 ** 3) throw new StrongroomError('INVALID_ARGUMENT', 'partSize: an integer from 1 KiB to 5 GiB (S3 needs ≥ 5 MiB for all parts but the last)');
    if (!Number.isSafeInteger(queueSize) || queueSize < 1 || queueSize > 64) throw new StrongroomError('INVALID_ARGUMENT', 'queueSize: an integer from 1 to 64');
    checkUserMetadata(params.Metadata);
    checkNoPlaintextChecksums(params);
    this.#cfg = cfg;
    this.#params = { ...params, partSize, queueSize };
    const user = params.abortSignal;
    if (user?.aborted) this.#controller.abort(user.reason);
    else if (user) {
      const onAbort = () => this.#controller.abort(user.reason);
      user.addEventListener('abort', onAbort, { once: true });
      this.#detach = () => user.removeEventListener('abort', onAbort);
    }
  }

  #detach: () => void = () => {};

  /** Listen to progress: `{ loaded, total, part, Key, Bucket }` after each part is stored. */
  on(event: 'httpUploadProgress', listener: (p: WebProgress) => void): this {
    if (event === 'httpUploadProgress') this.#listeners.add(listener);
    return this;
  }

  /** Stop calling a progress listener given to `on`. */
  off(event: 'httpUploadProgress', listener: (p: WebProgress) => void): this {
    if (event === 'httpUploadProgress') this.#listeners.delete(listener);
    return this;
  }

  /** Run the upload (once); resolves with the CompleteMultipartUpload (or PutObject) output. */
  done(): Promise<CompleteMultipartUploadCommandOutput> {
    this.#promise ??= this.#run().finally(() => this.#detach());
    return this.#promise;
  }

  /** Abort: `done()` rejects with ABORTED and the multipart upload is aborted. */
  async abort(): Promise<void> {
    this.#controller.abort(new StrongroomError('ABORTED', 'Upload aborted'));
  }

  #emit(p: WebProgress): void {
    for (const l of this.#listeners) l(p);
  }

  /** The parts to send (each with the plaintext bytes it carries), the object metadata and the plaintext length. */
  async #source(signal: AbortSignal): Promise<PartSource> {
    const cfg = this.#cfg;
    const { Body, ContentLength, Bucket, Key, encryptionContext, Metadata, partSize } = this.#params;
    const o = { abortSignal: signal, encryptionContext: encryptionContext ?? {} };
    const total = knownLength(Body) ?? ContentLength;
    if (cfg.writeFormat === 'framed') {
      const ctx = writeContext(cfg, Bucket, Key, o.encryptionContext);
      const sealer = await webFramedClient(cfg).createFramedSealer({ ...ctx, abortSignal: signal, ...(total !== undefined && { plaintextLength: total }) });
      const plaintext = partsOf(total === undefined ? byteStream(Body) : exactly(byteStream(Body), total), partSize);
      return { parts: sealedParts(sealer, plaintext, partSize), metadata: framedMetadata(Metadata), total, finish: () => sealer.finish(), destroy: () => sealer.destroy() };
    }
    if (total !== undefined && total > cfg.bufferSize) {
      throw new StrongroomError('LIMIT_EXCEEDED', `upload() of a ${cfg.writeFormat.toUpperCase()} object on the web entry encrypts the body whole (one-shot AES-GCM): over bufferSize (${cfg.bufferSize} bytes); use format "framed" to stream`);
    }
    const plaintext = await readAll(byteStream(Body), cfg.bufferSize, 'upload() Body (bufferSize)');
    const { body, metadata } = await sealWhole(cfg, plaintext, o);
    return { parts: wholeParts(body, plaintext.length, partSize), metadata: { ...(Metadata ?? {}), ...metadata }, total: plaintext.length, finish: () => {}, destroy: () => {} };
  }

  async #run(): Promise<CompleteMultipartUploadCommandOutput> {
    const cfg = this.#cfg;
    const { partSize: _p, queueSize, abortSignal: _a, encryptionContext: _e, Body: _b, ContentLength: _l, Metadata: _m, ...input } = this.#params;
    const signal = this.#controller.signal;
    // Up to queueSize parts in flight: each its own signal, so the shared one carries one listener.
    const partSignal = requestSignals(signal);
    const aborted = () => new StrongroomError('ABORTED', 'Upload aborted', { cause: signal.reason });
    if (signal.aborted) throw aborted();
    const base = { Key: input.Key, Bucket: input.Bucket };
    const { parts, metadata, total, finish, destroy } = await this.#source(signal);
    let firstPart: SourcePart;
    let uploadId: string | undefined;
    let marker: string;
    try {
      const first = await parts.next();
      firstPart = first.done ? { data: new Uint8Array(0), plain: 0, isLast: true } : first.value;
      if (firstPart.isLast) {
        await parts.return(undefined);
        finish(); // every frame sealed (framed), else nothing is written
        const out = await cfg.client.send(new PutObjectCommand({ ...input, Body: firstPart.data, ContentLength: firstPart.data.length, Metadata: metadata }), { abortSignal: signal });
        this.#emit({ loaded: firstPart.plain, total: firstPart.plain, part: 1, ...base });
        return { ...out, ...base, $metadata: out.$metadata } as CompleteMultipartUploadCommandOutput;
      }
      const created = await cfg.client.send(new CreateMultipartUploadCommand({ ...input, Metadata: { ...metadata, ...uploadMetadata() } }), { abortSignal: signal });
      uploadId = created.UploadId;
      if (!uploadId) throw new StrongroomError('PROVIDER_ERROR', 'CreateMultipartUpload returned no UploadId');
      marker = markerKeyFromDigest(input.Key, await sha256Hex(uploadId));
    } catch (error) {
      destroy();
      await parts.return(undefined).catch(() => {});
      if (uploadId) await cfg.client.send(new AbortMultipartUploadCommand({ Bucket: input.Bucket, Key: input.Key, UploadId: uploadId })).catch(() => {});
      throw error;
    }
    const completed: CompletedPart[] = [];
    const inflight = new Set<Promise<void>>();
    let failure: unknown;
    let loaded = 0;
    let completedUpload = false;
    try {
      await cfg.client.send(new PutObjectCommand({ Bucket: input.Bucket, Key: marker, Body: markerBody(input.Key, uploadId), ContentType: 'application/json' }), { abortSignal: signal });
      let current: SourcePart | undefined = firstPart;
      for (let partNumber = 1; current; partNumber++) {
        if (failure) break;
        if (signal.aborted) throw aborted();
        if (partNumber > MAX_PARTS) throw new StrongroomError('INVALID_ARGUMENT', `more than ${MAX_PARTS} parts: raise partSize`);
        const n = partNumber;
        const { data, plain } = current;
        const request = partSignal();
        const p: Promise<void> = cfg.client
          .send(new UploadPartCommand({ Bucket: input.Bucket, Key: input.Key, UploadId: uploadId, PartNumber: n, Body: data, ContentLength: data.length }), { abortSignal: request.signal })
          .then((r) => {
            if (!r.ETag) throw new StrongroomError('PROVIDER_ERROR', `UploadPart ${n} returned no ETag (a browser needs the bucket's CORS configuration to expose the ETag header)`);
            completed.push({ PartNumber: n, ETag: r.ETag });
            loaded += plain;
            this.#emit({ loaded, total, part: n, ...base });
          })
          .catch((error: unknown) => {
            failure ??= error;
            this.#controller.abort(error);
          })
          .finally(() => {
            request.release();
            inflight.delete(p);
          });
        inflight.add(p);
        if (current.isLast) break;
        const nextPart = parts.next(); // encrypt the next part while parts are in flight
        while (inflight.size >= queueSize) await Promise.race(inflight);
        const r = await nextPart;
        current = r.done ? undefined : r.value;
      }
      await Promise.all(inflight);
      if (failure) throw failure;
      finish(); // every frame up to the final one sealed (framed), else no object becomes visible
      completed.sort((a, b) => a.PartNumber! - b.PartNumber!);
      const out = await cfg.client.send(
        new CompleteMultipartUploadCommand({ Bucket: input.Bucket, Key: input.Key, UploadId: uploadId, MultipartUpload: { Parts: completed } }),
        { abortSignal: signal },
      );
      completedUpload = true;
      await cfg.client.send(new DeleteObjectCommand({ Bucket: input.Bucket, Key: marker })).catch(() => {});
      return out;
    } catch (error) {
      if (completedUpload) throw error;
      destroy();
      this.#controller.abort(error);
      await Promise.allSettled(inflight);
      await parts.return(undefined).catch(() => {});
      // No object must become visible: abort the upload (with a fresh signal) and drop the marker.
      await cfg.client.send(new AbortMultipartUploadCommand({ Bucket: input.Bucket, Key: input.Key, UploadId: uploadId })).catch(() => {});
      await cfg.client.send(new DeleteObjectCommand({ Bucket: input.Bucket, Key: marker })).catch(() => {});
      if (StrongroomError.isInstance(error)) throw error;
      if ((error as Error)?.name === 'AbortError') throw aborted();
      throw error;
    }
  }
}
