/**
 * Streaming encrypted upload of any size in bounded memory, like `@aws-sdk/lib-storage`'s `Upload`
 * (same 'httpUploadProgress' event name and payload: `{ loaded, total, part, Key, Bucket }`).
 * spec: s3-encryption/client.md#optional-api-operations (multipart: in-order encryption, one cipher).
 *
 * V2/V3: encryption is sequential (one GCM cipher for the object) while up to `queueSize` encrypted
 * parts are on the wire at once. Framed objects (AWS Encryption SDK message, data-format/message-body.md):
 * every part holds whole frames and is sealed on its own, the first part prefixed by the header. Memory ≈ (queueSize + 1) × partSize. On any failure the multipart upload
 * is aborted, so no object becomes visible. `loaded`/`total` count plaintext bytes.
 */
import { EventEmitter } from 'node:events';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type CompleteMultipartUploadCommandOutput,
  type PutObjectCommandInput,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { StrongroomError, type EncryptionContext } from '@strongroom/core';
import { inMemoryBytes } from './body';
import { serializeEnvelope, type SerializedEnvelope } from './envelope';
import { newObjectMaterials } from './materials';
import { createPartEncryptor, type PartEncryptor } from './multipart-cipher';
import { framedMetadata, framedParts, newFramedSealer } from './framed-write';
import { checkFramedPartSize, defaultFramedPartSize } from './framed-parts';
import { checkNoPlaintextChecksums, checkUserMetadata, putObject } from './object-ops';
import { digestMetadata, dropStagedInstruction, publishInstruction, stageInstruction, type StagedInstruction } from './instruction-commit';
import { dropUploadMarker, putUploadMarker, uploadMetadata } from './upload-marker';
import type { ResolvedConfig } from './options';
import { readParts } from './part-reader';
import { requestSignals } from './request-signal';

/** The progress payload of lib-storage's Upload. */
export interface Progress {
  loaded?: number;
  total?: number;
  part?: number;
  Key?: string;
  Bucket?: string;
}

/** Input of `upload()`: a `PutObject` input plus part size, queue size, encryption context and abort signal. */
export interface UploadParams extends PutObjectCommandInput {
  /** Bytes per part: a multiple of 16; S3 needs ≥ 5 MiB for all but the last. Default 8 MiB. */
  readonly partSize?: number;
  /** Parts in flight at once. Default 4. */
  readonly queueSize?: number;
  readonly abortSignal?: AbortSignal;
  readonly encryptionContext?: EncryptionContext;
}

/** Default multipart part size: 8 MiB. */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
/** Default number of parts in flight. */
export const DEFAULT_QUEUE_SIZE = 4;
const MAX_PARTS = 10_000;

/**
 * A running encrypted multipart upload, emitting `httpUploadProgress` like `@aws-sdk/lib-storage`'s `Upload`.
 *
 * @example
 * ```ts
 * const upload = s3.upload({ Bucket: 'b', Key: 'big.bin', Body: createReadStream('big.bin') });
 * upload.on('httpUploadProgress', (p) => console.log(p.loaded, p.total));
 * await upload.done();
 * ```
 */
export class EncryptedUpload extends EventEmitter {
  readonly #cfg: ResolvedConfig;
  readonly #params: UploadParams;
  readonly #controller = new AbortController();
  #promise: Promise<CompleteMultipartUploadCommandOutput> | undefined;

  /** @throws StrongroomError INVALID_ARGUMENT for a bad partSize/queueSize. */
  constructor(cfg: ResolvedConfig, params: UploadParams) {
    super();
    const framed = cfg.writeFormat === 'framed';
    // Framed objects: parts carry whole frames, so the part size is a multiple of the frame length.
    const partSize = params.partSize ?? (framed ? defaultFramedPartSize(cfg.frameLength, DEFAULT_PART_SIZE) : DEFAULT_PART_SIZE);
    const queueSize = params.queueSize ?? DEFAULT_QUEUE_SIZE;
    if (framed) checkFramedPartSize(partSize, cfg.frameLength);
    else if (!Number.isSafeInteger(partSize) || partSize < 16 || partSize % 16 !== 0 || partSize > 5 * 1024 ** 3) {
      throw new StrongroomError('INVALID_ARGUMENT', 'partSize: a multiple of 16 bytes, at most 5 GiB');
    }
    if (!Number.isSafeInteger(queueSize) || queueSize < 1 || queueSize > 64) {
      throw new StrongroomError('INVALID_ARGUMENT', 'queueSize: an integer from 1 to 64');
    }
    checkUserMetadata(params.Metadata);
    checkNoPlaintextChecksums(params);
    this.#cfg = cfg;
    this.#params = { ...params, partSize, queueSize };
    const user = params.abortSignal;
    if (user) {
      if (user.aborted) this.#controller.abort(user.reason);
      else {
        const onAbort = () => this.#controller.abort(user.reason);
        user.addEventListener('abort', onAbort, { once: true });
        this.#detach = () => user.removeEventListener('abort', onAbort);
      }
    }
  }

  #detach: () => void = () => {};

  /** Run the upload (once); resolves with the CompleteMultipartUpload (or PutObject) output. */
  done(): Promise<CompleteMultipartUploadCommandOutput> {
    this.#promise ??= this.#run().finally(() => this.#detach());
    return this.#promise;
  }

  /** Abort the upload; `done()` rejects with an AbortError and the multipart upload is aborted. */
  async abort(): Promise<void> {
    this.#controller.abort(new StrongroomError('ABORTED', 'Upload aborted'));
  }

  #progress(p: Progress): void {
    this.emit('httpUploadProgress', p);
  }

  async #run(): Promise<CompleteMultipartUploadCommandOutput> {
    const cfg = this.#cfg;
    const { partSize, queueSize, abortSignal: _a, encryptionContext, Body, ...input } = this.#params;
    const signal = this.#controller.signal;
    // Up to queueSize parts in flight: each its own signal, so the shared one carries one listener.
    const partSignal = requestSignals(signal);
    const opts = { abortSignal: signal, encryptionContext: encryptionContext ?? {} };
    const aborted = () => new StrongroomError('ABORTED', 'Upload aborted', { cause: signal.reason });
    if (signal.aborted) throw aborted();
    const inMemory = await inMemoryBytes(Body);
    const total = inMemory?.length ?? input.ContentLength;
    const base = { Key: input.Key, Bucket: input.Bucket };
    const parts = readParts(Body, inMemory, partSize!);

    const first = await parts.next();
    if (first.done || first.value.isLast) {
      // One part: a single encrypted PutObject, as lib-storage does.
      const data = first.done ? Buffer.alloc(0) : first.value.data;
      await parts.return(undefined);
      const { ContentLength: _l, ...putInput } = input;
      const out = await putObject(cfg, { ...putInput, Body: data }, opts);
      this.#progress({ loaded: data.length, total: data.length, part: 1, ...base });
      return { ...out, ...base, $metadata: out.$metadata } as CompleteMultipartUploadCommandOutput;
    }

    // Framed: each part is sealed on its own (./framed-write.ts); else one GCM cipher in part order.
    const framed = cfg.writeFormat === 'framed' ? framedParts(await newFramedSealer(cfg, input.Bucket, input.Key, opts.encryptionContext, signal), partSize!) : undefined;
    let encryptor: PartEncryptor | undefined;
    let ser: SerializedEnvelope = { metadata: framedMetadata(undefined), instruction: undefined };
    if (!framed) {
      const materials = await newObjectMaterials(cfg.providers[0]!, cfg.writeVersion, opts.encryptionContext, cfg.materialsDescription, undefined, signal, cfg.kmsKeyIds);
      try {
        encryptor = createPartEncryptor(materials.params);
      } finally {
        materials.wipe();
      }
      ser = serializeEnvelope(materials.envelope, cfg.envelopeLocation);
    }
    const { ContentLength: _cl, ...createInput } = input;
    // Instruction file: staged under its own name now, published after completion (./instruction-commit.ts).
    const staged: StagedInstruction | undefined = ser.instruction ? await stageInstruction(cfg, input.Bucket, input.Key, ser.instruction, { abortSignal: signal }) : undefined;
    let uploadId: string | undefined;
    try {
      const created = await cfg.client.send(
        new CreateMultipartUploadCommand({ ...createInput, Metadata: { ...(input.Metadata ?? {}), ...ser.metadata, ...digestMetadata(staged), ...uploadMetadata() } }),
        { abortSignal: signal },
      );
      uploadId = created.UploadId;
      if (!uploadId) throw new StrongroomError('PROVIDER_ERROR', 'CreateMultipartUpload returned no UploadId');
      // Marks the upload as ours for `strongroom s3 cleanup` should this process die (./upload-marker.ts).
      await putUploadMarker(cfg.client, input.Bucket, input.Key, uploadId, signal);
    } catch (error) {
      framed?.destroy();
      if (uploadId) await cfg.client.send(new AbortMultipartUploadCommand({ Bucket: input.Bucket, Key: input.Key, UploadId: uploadId })).catch(() => {});
      if (staged) await dropStagedInstruction(cfg, input.Bucket, input.Key, staged);
      throw error;
    }

    const completed: CompletedPart[] = [];
    const pool: Buffer[] = [];
    const inflight = new Set<Promise<void>>();
    let failure: unknown;
    let loaded = 0;
    let partNumber = 0;
    let completedUpload = false;
    try {
      let current: { data: Buffer; isLast: boolean } | undefined = first.value;
      while (current) {
        if (failure) throw failure;
        if (signal.aborted) throw aborted();
        partNumber += 1;
        if (partNumber > MAX_PARTS) throw new StrongroomError('LIMIT_EXCEEDED', `more than ${MAX_PARTS} parts: raise partSize`);
        // Part buffers are pooled: at most queueSize are in use (in flight or being filled).
        const target = pool.pop() ?? Buffer.allocUnsafe(framed ? framed.maxPartBytes : partSize! + 16);
        const ciphertext = framed
          ? framed.sealPartInto(partNumber, current.data, current.isLast, target)
          : encryptor!.encryptPartInto(current.data, current.isLast, target);
        const plainLength = current.data.length;
        const n = partNumber;
        const request = partSignal();
        const p: Promise<void> = cfg.client
          .send(
            new UploadPartCommand({ Bucket: input.Bucket, Key: input.Key, UploadId: uploadId, PartNumber: n, Body: ciphertext, ContentLength: ciphertext.length }),
            { abortSignal: request.signal },
          )
          .then((r) => {
            pool.push(target); // the send has settled: the SDK no longer reads the buffer
            if (!r.ETag) throw new StrongroomError('PROVIDER_ERROR', `UploadPart ${n} returned no ETag`);
            completed.push({ PartNumber: n, ETag: r.ETag });
            loaded += plainLength;
            this.#progress({ loaded, total, part: n, ...base });
          })
          .catch((error) => {
            failure ??= error;
            this.#controller.abort(error);
          })
          .finally(() => {
            request.release();
            inflight.delete(p);
          });
        inflight.add(p);
        if (current.isLast) break;
        const nextP = parts.next(); // read the next part while parts are in flight
        while (inflight.size >= queueSize!) await Promise.race(inflight);
        const r = await nextP;
        current = r.done ? undefined : r.value;
      }
      await Promise.all(inflight);
      if (failure) throw failure;
      framed?.finish(); // every frame up to the final one sealed, else no object becomes visible
      completed.sort((a, b) => a.PartNumber! - b.PartNumber!);
      const out = await cfg.client.send(
        new CompleteMultipartUploadCommand({ Bucket: input.Bucket, Key: input.Key, UploadId: uploadId, MultipartUpload: { Parts: completed } }),
        { abortSignal: signal },
      );
      completedUpload = true;
      await dropUploadMarker(cfg.client, input.Bucket, input.Key, uploadId);
      // The new object is readable through the staged file; now the name other clients read.
      if (staged) await publishInstruction(cfg, input.Bucket, input.Key, staged, { abortSignal: signal });
      return out;
    } catch (error) {
      framed?.destroy();
      if (completedUpload) throw error; // the object is in place and readable (staged instruction file)
      this.#controller.abort(error);
      await Promise.allSettled(inflight);
      await parts.return(undefined).catch(() => {});
      // No object must become visible: abort the upload (with a fresh signal) and drop the staged file.
      await cfg.client.send(new AbortMultipartUploadCommand({ Bucket: input.Bucket, Key: input.Key, UploadId: uploadId })).catch(() => {});
      if (staged) await dropStagedInstruction(cfg, input.Bucket, input.Key, staged);
      await dropUploadMarker(cfg.client, input.Bucket, input.Key, uploadId);
      if (signal.aborted && (StrongroomError.isInstance(error, 'ABORTED') || (error as Error)?.name === 'AbortError')) throw aborted();
      throw error;
    }
  }
}
