/**
 * Low-level encrypted multipart upload through the real SDK commands.
 * spec: s3-encryption/client.md#optional-api-operations; Java `MultipartUploadObjectPipeline`.
 *
 * CreateMultipartUpload generates the data key and writes the envelope; UploadPart encrypts parts
 * strictly in order with the upload's one GCM cipher; the part sent with `{ isLastPart: true }` gets
 * the tag appended. If no part was flagged, CompleteMultipartUpload sends the tag as one extra part
 * (fine on S3, whose last part may be any size). A failed part poisons the upload (the cipher has
 * advanced): abort it and start again.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type AbortMultipartUploadCommandInput,
  type AbortMultipartUploadCommandOutput,
  type CompleteMultipartUploadCommandInput,
  type CompleteMultipartUploadCommandOutput,
  type CreateMultipartUploadCommandInput,
  type CreateMultipartUploadCommandOutput,
  type UploadPartCommandInput,
  type UploadPartCommandOutput,
} from '@aws-sdk/client-s3';
import { StrongroomError, throwIfAborted } from '@strongroom/core';
import { collect, inMemoryBytes, iterateBody } from './body';
import { serializeEnvelope } from './envelope';
import { newObjectMaterials } from './materials';
import { createPartEncryptor, type PartEncryptor } from './multipart-cipher';
import { checkNoPlaintextChecksums, checkUserMetadata } from './object-ops';
import { digestMetadata, dropStagedInstruction, publishInstruction, stageInstruction, type StagedInstruction } from './instruction-commit';
import { dropUploadMarker, putUploadMarker, uploadMetadata } from './upload-marker';
import type { EncryptedSendOptions, ResolvedConfig } from './options';

export interface MultipartState {
  readonly bucket: string | undefined;
  readonly key: string | undefined;
  readonly encryptor: PartEncryptor;
  /** Instruction file body, written at completion so a failed upload never clobbers an existing one. */
  readonly staged: StagedInstruction | undefined;
  nextPart: number;
  poisoned: boolean;
  busy: boolean;
}

/** Max bytes of one low-level part held in memory (S3's part size limit is 5 GiB). */
const MAX_PART_BYTES = 5 * 1024 ** 3;

const sendOpts = (o: EncryptedSendOptions) => (o.abortSignal ? { abortSignal: o.abortSignal } : {});

/** Start an encrypted multipart upload: envelope on the upload (and instruction file if configured). */
export async function createUpload(
  cfg: ResolvedConfig,
  uploads: Map<string, MultipartState>,
  input: CreateMultipartUploadCommandInput,
  o: EncryptedSendOptions,
): Promise<CreateMultipartUploadCommandOutput> {
  throwIfAborted(o.abortSignal);
  checkUserMetadata(input.Metadata);
  const materials = await newObjectMaterials(cfg.providers[0]!, cfg.writeVersion, o.encryptionContext ?? {}, cfg.materialsDescription, undefined, o.abortSignal, cfg.kmsKeyIds);
  let encryptor: PartEncryptor;
  try {
    encryptor = createPartEncryptor(materials.params);
  } finally {
    materials.wipe();
  }
  const ser = serializeEnvelope(materials.envelope, cfg.envelopeLocation);
  // Instruction file: staged under its own name now, published after completion (./instruction-commit.ts).
  const staged = ser.instruction ? await stageInstruction(cfg, input.Bucket, input.Key, ser.instruction, o) : undefined;
  let out: CreateMultipartUploadCommandOutput;
  try {
    out = await cfg.client.send(
      new CreateMultipartUploadCommand({ ...input, Metadata: { ...(input.Metadata ?? {}), ...ser.metadata, ...digestMetadata(staged), ...uploadMetadata() } }),
      sendOpts(o),
    );
    if (!out.UploadId) throw new StrongroomError('PROVIDER_ERROR', 'CreateMultipartUpload returned no UploadId');
    // Marks the upload as ours for `strongroom s3 cleanup` (./upload-marker.ts).
    await putUploadMarker(cfg.client, input.Bucket, input.Key, out.UploadId, o.abortSignal).catch(async (error: unknown) => {
      await cfg.client.send(new AbortMultipartUploadCommand({ Bucket: input.Bucket, Key: input.Key, UploadId: out.UploadId })).catch(() => {});
      throw error;
    });
  } catch (error) {
    if (staged) await dropStagedInstruction(cfg, input.Bucket, input.Key, staged);
    throw error;
  }
  uploads.set(out.UploadId, {
    bucket: input.Bucket,
    key: input.Key,
    encryptor,
    staged,
    nextPart: 1,
    poisoned: false,
    busy: false,
  });
  return out;
}

function stateOf(uploads: Map<string, MultipartState>, uploadId: string | undefined): MultipartState {
  const s = uploadId === undefined ? undefined : uploads.get(uploadId);
  if (!s) {
    throw new StrongroomError('INVALID_ARGUMENT', 'UploadId: not an encrypted multipart upload started by this EncryptedS3Client');
  }
  return s;
}

/** Encrypt one part in order (plaintext in memory) and send it. */
export async function uploadPart(
  cfg: ResolvedConfig,
  uploads: Map<string, MultipartState>,
  input: UploadPartCommandInput,
  o: EncryptedSendOptions,
): Promise<UploadPartCommandOutput> {
  throwIfAborted(o.abortSignal);
  checkNoPlaintextChecksums(input);
  const s = stateOf(uploads, input.UploadId);
  if (s.poisoned) throw new StrongroomError('INVALID_ARGUMENT', 'this encrypted multipart upload failed earlier; abort it and start again');
  if (s.busy) throw new StrongroomError('INVALID_ARGUMENT', 'encrypted parts must be uploaded one at a time, in order');
  if (input.PartNumber !== s.nextPart) {
    throw new StrongroomError('INVALID_ARGUMENT', `PartNumber: encrypted parts must be uploaded in order; expected ${s.nextPart}`);
  }
  s.busy = true;
  try {
    const plaintext = (await inMemoryBytes(input.Body)) ?? (await collect(iterateBody(input.Body), MAX_PART_BYTES, 'UploadPart Body'));
    // Size errors are thrown before the cipher advances, so the upload stays usable after them.
    const ciphertext = s.encryptor.encryptPart(plaintext, o.isLastPart === true);
    s.nextPart += 1;
    try {
      return await cfg.client.send(new UploadPartCommand({ ...input, Body: ciphertext, ContentLength: ciphertext.length }), sendOpts(o));
    } catch (error) {
      s.poisoned = true;
      throw error;
    }
  } finally {
    s.busy = false;
  }
}

/** Complete: send the tag as an extra part when no part was flagged last, then complete. */
export async function completeUpload(
  cfg: ResolvedConfig,
  uploads: Map<string, MultipartState>,
  input: CompleteMultipartUploadCommandInput,
  o: EncryptedSendOptions,
): Promise<CompleteMultipartUploadCommandOutput> {
  const s = stateOf(uploads, input.UploadId);
  if (s.poisoned) throw new StrongroomError('INVALID_ARGUMENT', 'this encrypted multipart upload failed earlier; abort it');
  let parts = [...(input.MultipartUpload?.Parts ?? [])];
  if (!s.encryptor.finished) {
    const tag = s.encryptor.finishTagOnly();
    const partNumber = s.nextPart++;
    const r = await cfg.client.send(
      new UploadPartCommand({ Bucket: input.Bucket, Key: input.Key, UploadId: input.UploadId, PartNumber: partNumber, Body: tag, ContentLength: tag.length }),
      sendOpts(o),
    );
    parts = [...parts, { PartNumber: partNumber, ETag: r.ETag }];
  }
  const out = await cfg.client.send(new CompleteMultipartUploadCommand({ ...input, MultipartUpload: { Parts: parts } }), sendOpts(o));
  uploads.delete(input.UploadId!);
  await dropUploadMarker(cfg.client, input.Bucket, input.Key, input.UploadId!);
  if (s.staged) await publishInstruction(cfg, input.Bucket, input.Key, s.staged, o);
  return out;
}

/** Abort: forget the cipher state, then abort on S3. */
export async function abortUpload(
  cfg: ResolvedConfig,
  uploads: Map<string, MultipartState>,
  input: AbortMultipartUploadCommandInput,
  o: EncryptedSendOptions,
): Promise<AbortMultipartUploadCommandOutput> {
  const s = input.UploadId === undefined ? undefined : uploads.get(input.UploadId);
  if (input.UploadId) uploads.delete(input.UploadId);
  try {
    return await cfg.client.send(new AbortMultipartUploadCommand(input), sendOpts(o));
  } finally {
    if (s?.staged) await dropStagedInstruction(cfg, input.Bucket, input.Key, s.staged);
    if (s && input.UploadId) await dropUploadMarker(cfg.client, input.Bucket, input.Key, input.UploadId);
  }
}
