/**
 * `EncryptedS3Client`: a drop-in wrapper around `S3Client` that encrypts before upload and decrypts
 * after download in the Amazon S3 Encryption Client formats (real Command objects in, SDK output shapes
 * out, `client.config` never read, as aws-sdk-js-v3's lib-storage `Upload` does).
 * spec: s3-encryption/client.md; data-format/content-metadata.md; data-format/metadata-strategy.md.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompleteMultipartUploadCommandOutput,
  type GetObjectCommandInput,
  type GetObjectCommandOutput,
  type PutObjectCommandInput,
  type PutObjectCommandOutput,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-s3';
import type { Command } from '@smithy/types';
import { StrongroomError } from '@strongroom/core';
import { abortUpload, completeUpload, createUpload, uploadPart, type MultipartState } from './multipart-ops';
import { deleteObject, deleteObjects, getObject, headObject, putObject } from './object-ops';
import { resolveConfig, type EncryptedS3ClientConfig, type EncryptedSendOptions, type ResolvedConfig } from './options';
import { EncryptedUpload, type UploadParams } from './upload';
import { rewrapObject, type RewrapInput, type RewrapResult } from './rewrap';
import { downloadObject } from './parallel-download';
import type { DownloadParams } from './download-plan';
import { copyObject, type CopyObjectParams } from './copy-object';

/** Any S3 command, typed like `S3Client.send`'s parameter. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type S3Command<I extends ServiceInputTypes, O extends ServiceOutputTypes> = Command<ServiceInputTypes, I, ServiceOutputTypes, O, any>;

/**
 * Client-side encryption for S3, interoperable with the Amazon S3 Encryption Client (V2/V3 formats),
 * and framed objects (`format: 'framed'`: AWS Encryption SDK messages, docs/s3.md).
 *
 * @example
 * ```ts
 * const s3 = new EncryptedS3Client({ client: new S3Client({}), keyProvider });
 * await s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'secret' }));
 * const { Body } = await s3.send(new GetObjectCommand({ Bucket: 'b', Key: 'k' }));
 * console.log(await Body!.transformToString());
 * ```
 */
export class EncryptedS3Client {
  readonly #cfg: ResolvedConfig;
  readonly #uploads = new Map<string, MultipartState>();

  /** @throws StrongroomError INVALID_ARGUMENT for missing or conflicting options. */
  constructor(config: EncryptedS3ClientConfig) {
    this.#cfg = resolveConfig(config);
  }

  /** The wrapped client (for commands you want to send without encryption). */
  get client() {
    return this.#cfg.client;
  }

  /**
   * Send a command. Put/Get/Head/Delete(Objects) and the multipart commands are encrypted or
   * decrypted; any other command passes through to the wrapped client unchanged.
   * @throws StrongroomError with codes AUTHENTICATION_FAILED, MALFORMED, NO_DECRYPTION_KEY,
   *   ENCRYPTION_CONTEXT, COMMITMENT_POLICY, LIMIT_EXCEEDED (bufferSize), UNSUPPORTED (legacy modes),
   *   INVALID_ARGUMENT, ABORTED; S3 errors pass through unchanged.
   */
  async send<I extends ServiceInputTypes, O extends ServiceOutputTypes>(command: S3Command<I, O>, options: EncryptedSendOptions = {}): Promise<O> {
    const cfg = this.#cfg;
    const o = options;
    const any = command as unknown;
    if (any instanceof PutObjectCommand) return (await putObject(cfg, any.input, o)) as unknown as O;
    if (any instanceof GetObjectCommand) return (await getObject(cfg, any.input, o)) as unknown as O;
    if (any instanceof HeadObjectCommand) return (await headObject(cfg, any.input, o)) as unknown as O;
    if (any instanceof DeleteObjectCommand) return (await deleteObject(cfg, any.input, o)) as unknown as O;
    if (any instanceof DeleteObjectsCommand) return (await deleteObjects(cfg, any.input, o)) as unknown as O;
    if (any instanceof CreateMultipartUploadCommand && cfg.writeFormat === 'framed') {
      throw new StrongroomError('UNSUPPORTED', 'format "framed": write multipart objects with upload() (parts must carry whole frames)');
    }
    if (any instanceof CreateMultipartUploadCommand) return (await createUpload(cfg, this.#uploads, any.input, o)) as unknown as O;
    if (any instanceof UploadPartCommand) return (await uploadPart(cfg, this.#uploads, any.input, o)) as unknown as O;
    if (any instanceof CompleteMultipartUploadCommand) return (await completeUpload(cfg, this.#uploads, any.input, o)) as unknown as O;
    if (any instanceof AbortMultipartUploadCommand) return (await abortUpload(cfg, this.#uploads, any.input, o)) as unknown as O;
    if (any instanceof UploadPartCopyCommand && any.input.UploadId && this.#uploads.has(any.input.UploadId)) {
      throw new StrongroomError('UNSUPPORTED', 'UploadPartCopy cannot add plaintext to an encrypted multipart upload');
    }
    return cfg.client.send(command, o.abortSignal ? { abortSignal: o.abortSignal } : {});
  }

  /** Encrypt and put an object. Same as `send(new PutObjectCommand(input))`. */
  putObject(input: PutObjectCommandInput, options: EncryptedSendOptions = {}): Promise<PutObjectCommandOutput> {
    return putObject(this.#cfg, input, options);
  }

  /** Get and decrypt an object. Same as `send(new GetObjectCommand(input))`. */
  getObject(input: GetObjectCommandInput, options: EncryptedSendOptions = {}): Promise<GetObjectCommandOutput> {
    return getObject(this.#cfg, input, options);
  }

  /**
   * Download an object: a framed object through up to `concurrency` ranged GETs at once, each frame
   * verified before release, reassembled in order in bounded memory (≈ concurrency × partSize);
   * other formats through one GetObject.
   * @throws StrongroomError as GetObject; INVALID_ARGUMENT for a bad concurrency/partSize.
   */
  download(params: DownloadParams): Promise<GetObjectCommandOutput> {
    return downloadObject(this.#cfg, params);
  }

  /**
   * Stream a body of any size through an encrypted multipart upload in bounded memory.
   * Listen to 'httpUploadProgress' and await `done()`, as with lib-storage's `Upload`.
   * @throws StrongroomError INVALID_ARGUMENT for a bad partSize/queueSize (synchronously).
   */
  upload(params: UploadParams): EncryptedUpload {
    return new EncryptedUpload(this.#cfg, params);
  }

  /**
   * Re-wrap an object's data key under `toProvider` (default: the first provider) without rewriting
   * its body: a self-copy with the new envelope (docs/s3.md#re-wrap-key-rotation-without-rewriting).
   * `options.encryptionContext` is the context to read the object with, as for a GET.
   * @throws StrongroomError as a GET would, UNSUPPORTED for V1/CBC objects; S3 errors pass through
   *   (412 PreconditionFailed when the object was overwritten meanwhile).
   */
  rewrapObject(input: RewrapInput, options: EncryptedSendOptions = {}): Promise<RewrapResult> {
    return rewrapObject(this.#cfg, input, options);
  }

  /**
   * Copy an object by re-encrypting it for the destination (any source format; written in this
   * client's format). The way to move a framed object, which is bound to its bucket and key.
   * @throws StrongroomError as getObject and upload().
   */
  copyObject(params: CopyObjectParams): Promise<CompleteMultipartUploadCommandOutput> {
    return copyObject(this.#cfg, params);
  }
}
