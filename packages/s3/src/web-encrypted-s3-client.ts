/**
 * `EncryptedS3Client` on the web entry (browsers, workers, Deno, Cloudflare Workers): the same
 * configuration, metadata and object bytes as the Node entry's, over WHATWG streams and Web Crypto.
 * It writes framed, V3 or V2 objects (PutObject, upload() — framed parts carry whole frames, as on
 * Node) and reads all three (GetObject); framed objects stream, and serve authenticated ranged GETs
 * and download() (concurrent verified ranged GETs); V2/V3 objects are authenticated whole within
 * `bufferSize`. Node-only: instruction files, ranged GETs of V2/V3 objects (unauthenticated), rewrap,
 * copyObject, the low-level multipart commands, SSE-C helpers, V1/CBC legacy modes and delayed
 * authentication (docs/s3.md, "In browsers and workers — the web entry").
 * spec: s3-encryption/client.md; data-format/content-metadata.md; data-format/metadata-strategy.md.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type GetObjectCommandInput,
  type GetObjectCommandOutput,
  type PutObjectCommandInput,
  type PutObjectCommandOutput,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from '@aws-sdk/client-s3';
import type { Command } from '@smithy/types';
import { StrongroomError } from '@strongroom/core/web';
import { resolveConfig, type EncryptedS3ClientConfig, type EncryptedSendOptions, type ResolvedConfig } from './options';
import type { DownloadParams } from './download-plan';
import { downloadWeb } from './web-download';
import { getObjectWeb, putObjectWeb } from './web-object-ops';
import { WebEncryptedUpload, type WebUploadParams } from './web-upload';

/** Any S3 command, typed like `S3Client.send`'s parameter. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type S3Command<I extends ServiceInputTypes, O extends ServiceOutputTypes> = Command<ServiceInputTypes, I, ServiceOutputTypes, O, any>;

const nodeOnly = (what: string) => new StrongroomError('UNSUPPORTED', `${what} is supported by the Node entry of @strongroom/s3 only`);

function resolveWebConfig(config: EncryptedS3ClientConfig): ResolvedConfig {
  const cfg = resolveConfig(config);
  if (cfg.envelopeLocation !== 'metadata') throw nodeOnly('envelopeLocation "instruction-file"');
  if (cfg.delayedAuthentication) throw nodeOnly('delayedAuthentication');
  if (cfg.legacyWrapping || cfg.unauthenticatedModes) throw nodeOnly('legacy (V1 wraps, AES-CBC, unauthenticated ranged GETs)');
  return cfg;
}

/**
 * Client-side encryption for S3 in browsers and workers.
 *
 * @example
 * ```ts
 * const s3 = new EncryptedS3Client({ client: new S3Client({ region, credentials }), keyProvider, format: 'framed' });
 * const upload = s3.upload({ Bucket: 'b', Key: file.name, Body: file, partSize: 5 * 1024 * 1024 });
 * upload.on('httpUploadProgress', ({ loaded, total }) => show(loaded, total));
 * await upload.done();
 * const { Body } = await s3.send(new GetObjectCommand({ Bucket: 'b', Key: file.name }));
 * ```
 */
export class EncryptedS3Client {
  readonly #cfg: ResolvedConfig;

  /** @throws StrongroomError INVALID_ARGUMENT for missing or conflicting options, UNSUPPORTED for Node-only options. */
  constructor(config: EncryptedS3ClientConfig) {
    this.#cfg = resolveWebConfig(config);
  }

  /** The wrapped client (for commands you want to send without encryption). */
  get client() {
    return this.#cfg.client;
  }

  /**
   * Send a command. PutObject and GetObject are encrypted or decrypted; the low-level multipart
   * commands are refused (use upload()); any other command passes through unchanged.
   * @throws StrongroomError with codes AUTHENTICATION_FAILED, MALFORMED, NO_DECRYPTION_KEY,
   *   ENCRYPTION_CONTEXT, COMMITMENT_POLICY, LIMIT_EXCEEDED (bufferSize), UNSUPPORTED (Node-only features),
   *   INVALID_ARGUMENT, ABORTED; S3 errors pass through unchanged.
   */
  async send<I extends ServiceInputTypes, O extends ServiceOutputTypes>(command: S3Command<I, O>, options: EncryptedSendOptions = {}): Promise<O> {
    const any = command as unknown;
    if (any instanceof PutObjectCommand) return (await putObjectWeb(this.#cfg, any.input, options)) as unknown as O;
    if (any instanceof GetObjectCommand) return (await getObjectWeb(this.#cfg, any.input, options)) as unknown as O;
    if (any instanceof CreateMultipartUploadCommand || any instanceof UploadPartCommand || any instanceof CompleteMultipartUploadCommand || any instanceof AbortMultipartUploadCommand) {
      throw nodeOnly('Encrypting the low-level multipart commands (use upload())');
    }
    return this.#cfg.client.send(command, options.abortSignal ? { abortSignal: options.abortSignal } : {});
  }

  /** Encrypt and put an object. Same as `send(new PutObjectCommand(input))`. */
  putObject(input: PutObjectCommandInput, options: EncryptedSendOptions = {}): Promise<PutObjectCommandOutput> {
    return putObjectWeb(this.#cfg, input, options);
  }

  /**
   * Get and decrypt an object (with `Range`: a framed object's verified slice, S3's range semantics).
   * Same as `send(new GetObjectCommand(input))`.
   */
  getObject(input: GetObjectCommandInput, options: EncryptedSendOptions = {}): Promise<GetObjectCommandOutput> {
    return getObjectWeb(this.#cfg, input, options);
  }

  /**
   * Download an object: a framed object through up to `concurrency` ranged GETs at once, each frame
   * verified before release, reassembled in order as one ReadableStream (`Body`, with the SDK's
   * `transformTo…` helpers) in bounded memory (≈ concurrency × partSize); other formats through one
   * GetObject.
   * @throws StrongroomError as GetObject; INVALID_ARGUMENT for a bad concurrency/partSize.
   */
  download(params: DownloadParams): Promise<GetObjectCommandOutput> {
    return downloadWeb(this.#cfg, params);
  }

  /**
   * Encrypt a body (a File/Blob, ReadableStream or bytes) into a multipart upload with progress events.
   * @throws StrongroomError INVALID_ARGUMENT for a bad partSize/queueSize (synchronously).
   */
  upload(params: WebUploadParams): WebEncryptedUpload {
    return new WebEncryptedUpload(this.#cfg, params);
  }
}
