/**
 * Writing an object whose envelope lives in an instruction file, so that no single failed request
 * loses the object. The S3 Encryption Client stores the envelope of `key` in `key.instruction`
 * (spec: s3-encryption/data-format/metadata-strategy.md#instruction-file); object and instruction
 * file are two PUTs, and whichever goes first, a failure of the second used to leave an object
 * paired with the other version's envelope (it no longer decrypts).
 *
 * Order (docs/s3.md#no-step-loses-an-object):
 *  1. PUT the new envelope under a name of its own, `key.instruction.<digest>` (digest = SHA-256 of
 *     the instruction file body, hex, first 32 characters). Nothing the reader uses has changed.
 *  2. PUT the object (or complete the multipart upload) with metadata
 *     `x-strongroom-instruction-sha256` = the full digest. From here the new object is readable.
 *  3. PUT `key.instruction` (the name other S3 Encryption Clients read), then
 *  4. DELETE `key.instruction.<digest>` (best effort).
 * A reader whose `key.instruction` does not match the object's digest (step 3 failed, or the file
 * was swapped) reads `key.instruction.<digest>` instead and checks its digest too; a failure before
 * step 2 leaves the old object and its instruction file untouched (the staged file is removed).
 */
import { createHash } from 'node:crypto';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import * as K from './metadata-keys';
import type { EncryptedSendOptions, ResolvedConfig } from './options';

export { INSTRUCTION_DIGEST_METADATA } from './metadata-checks';
import { INSTRUCTION_DIGEST_METADATA } from './metadata-checks';

const sendOpts = (o: EncryptedSendOptions) => (o.abortSignal ? { abortSignal: o.abortSignal } : {});

export interface StagedInstruction {
  /** The instruction file body (JSON). */
  readonly body: string;
  /** Hex SHA-256 of `body`; goes into the object's metadata. */
  readonly digest: string;
}

export function instructionDigest(body: Uint8Array | string): string {
  return createHash('sha256').update(body).digest('hex');
}

/** The staged name of an instruction file with `digest`. */
export function stagedInstructionKey(cfg: ResolvedConfig, key: string | undefined, digest: string): string {
  return `${key}${cfg.instructionSuffix}.${digest.slice(0, 32)}`;
}

async function putFile(cfg: ResolvedConfig, bucket: string | undefined, name: string, body: string, o: EncryptedSendOptions): Promise<void> {
  await cfg.client.send(
    new PutObjectCommand({ Bucket: bucket, Key: name, Body: body, ContentType: 'application/json', Metadata: { [K.INSTRUCTION_FILE_MARKER]: '' } }),
    sendOpts(o),
  );
}

/** Step 1: write the new envelope under its own name. Returns what step 2 puts in the metadata. */
export async function stageInstruction(
  cfg: ResolvedConfig,
  bucket: string | undefined,
  key: string | undefined,
  instruction: Record<string, string>,
  o: EncryptedSendOptions,
): Promise<StagedInstruction> {
  const body = JSON.stringify(instruction);
  const digest = instructionDigest(body);
  await putFile(cfg, bucket, stagedInstructionKey(cfg, key, digest), body, o);
  return { body, digest };
}

/** Steps 3 and 4, after the object is in place. */
export async function publishInstruction(cfg: ResolvedConfig, bucket: string | undefined, key: string | undefined, staged: StagedInstruction, o: EncryptedSendOptions): Promise<void> {
  await putFile(cfg, bucket, `${key}${cfg.instructionSuffix}`, staged.body, o);
  await dropStagedInstruction(cfg, bucket, key, staged);
}

/** Best-effort removal of the staged file (after publishing, or when step 2 failed). */
export async function dropStagedInstruction(cfg: ResolvedConfig, bucket: string | undefined, key: string | undefined, staged: StagedInstruction): Promise<void> {
  await cfg.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: stagedInstructionKey(cfg, key, staged.digest) })).catch(() => {});
}

/** The metadata entry step 2 adds to the object. */
export function digestMetadata(staged: StagedInstruction | undefined): Record<string, string> {
  return staged ? { [INSTRUCTION_DIGEST_METADATA]: staged.digest } : {};
}
