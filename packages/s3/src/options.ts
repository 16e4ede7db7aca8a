/**
 * Configuration of `EncryptedS3Client`, resolved once into plain settings.
 * spec: s3-encryption/client.md#options, key-commitment.md (commitment policies).
 */
import { StrongroomError, type EncryptionContext, type KeyProvider } from '@strongroom/core';
import type { S3Client } from '@aws-sdk/client-s3';
import { INSTRUCTION_SUFFIX } from './metadata-keys';

/** spec: key-commitment.md — which formats may be written and read. */
export type CommitmentPolicy = 'FORBID_ENCRYPT_ALLOW_DECRYPT' | 'REQUIRE_ENCRYPT_ALLOW_DECRYPT' | 'REQUIRE_ENCRYPT_REQUIRE_DECRYPT';

/**
 * Options of {@link EncryptedS3Client}: the S3 client, key providers, format, envelope location, legacy flags.
 *
 * @example
 * ```ts
 * const s3 = new EncryptedS3Client({ client: new S3Client({}), keyProvider, format: 'v3' });
 * await s3.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'secret' }));
 * ```
 */
export interface EncryptedS3ClientConfig {
  /** The S3 client every request goes through. Its configuration is never read. */
  readonly client: S3Client;
  /** Provider that wraps new data keys (and unwraps). */
  readonly keyProvider?: KeyProvider;
  /** Several providers: the first wraps new objects; all are tried, in order, to unwrap. */
  readonly keyProviders?: readonly KeyProvider[];
  /**
   * Object format written: `v3` (key commitment, default, read by other S3 Encryption Clients),
   * `v2` (readable by every S3EC V2), or `framed` (an AWS Encryption SDK message: any size streamed
   * with authentication, authenticated ranged GETs, bound to its bucket and key; docs/s3.md).
   * Every format is read whatever this says.
   */
  readonly format?: 'v3' | 'v2' | 'framed';
  /**
   * `framed` only: authenticate the object's bucket and key (required encryption context, not
   * stored), so a copied or swapped object fails to decrypt. Default true. `false` writes objects
   * that may be relocated (server-side copied) without re-encryption, and lets this client read such
   * objects; a reader with the default refuses them.
   */
  readonly bindLocation?: boolean;
  /**
   * Read only framed objects bound to their bucket and key: refuse V2/V3 objects, which carry no
   * location (anyone who can write the bucket could copy a V2/V3 object encrypted under your key
   * over a framed one, and it would decrypt). Default false (every format is read).
   */
  readonly requireBinding?: boolean;
  /** `framed` only: plaintext bytes per frame. Default 64 KiB (also the granularity of ranged GETs). */
  readonly frameLength?: number;
  /** Default follows `format`: v3 → REQUIRE_ENCRYPT_ALLOW_DECRYPT, v2 → FORBID_ENCRYPT_ALLOW_DECRYPT. */
  readonly commitmentPolicy?: CommitmentPolicy;
  /** Where new envelopes are written (reads always fall back to the instruction file). Default `metadata`. */
  readonly envelopeLocation?: 'metadata' | 'instruction-file';
  /** Instruction file suffix. Default `.instruction`. */
  readonly instructionFileSuffix?: string;
  /** Materials description written with raw/HSM-wrapped keys (x-amz-matdesc / x-amz-m). Default `{}`. */
  readonly materialsDescription?: Readonly<Record<string, string>>;
  readonly legacy?: {
    /** Read objects whose key is wrapped with a legacy algorithm (`kms` without context). */
    readonly wrappingAlgorithms?: boolean;
    /** Read AES-CBC (V1) content and allow ranged GETs; both are unauthenticated. */
    readonly unauthenticatedModes?: boolean;
  };
  /**
   * KMS key ARNs that kms+context objects may be wrapped under. The S3EC envelope does not record
   * the KMS key, and KMS providers route by key ARN; keys this client generated with are remembered.
   */
  readonly kmsKeyIds?: readonly string[];
  /** Most plaintext held back until the tag verifies. Default 64 MiB (as Java). */
  readonly bufferSize?: number;
  /** Stream plaintext before the tag is verified; the stream errors at the end on a bad tag. */
  readonly delayedAuthentication?: boolean;
}

export interface ResolvedConfig {
  readonly client: S3Client;
  readonly providers: readonly KeyProvider[];
  readonly writeVersion: 2 | 3;
  /** The format PutObject and upload() write (`v2`/`v3` follow writeVersion). */
  readonly writeFormat: 'v2' | 'v3' | 'framed';
  /** Framed objects: bind (write) and require (read) the bucket/key binding. */
  readonly bindLocation: boolean;
  /** Refuse V2/V3 objects on read (framed objects bound to their location only). */
  readonly requireBinding: boolean;
  /** Framed objects: frame length written. */
  readonly frameLength: number;
  readonly readV2: boolean;
  readonly envelopeLocation: 'metadata' | 'instruction-file';
  readonly instructionSuffix: string;
  readonly materialsDescription: Readonly<Record<string, string>>;
  readonly legacyWrapping: boolean;
  readonly unauthenticatedModes: boolean;
  readonly bufferSize: number;
  readonly delayedAuthentication: boolean;
  /** Mutable: ARNs learned from our own GenerateDataKey calls are appended. */
  readonly kmsKeyIds: string[];
}

/** Default frame length of framed objects: 64 KiB. */
export const DEFAULT_FRAMED_FRAME_LENGTH = 64 * 1024;
/** Largest frame length of framed objects (a reader holds one frame while it authenticates it): 16 MiB. */
export const MAX_FRAMED_FRAME_LENGTH = 16 * 1024 * 1024;

/** Largest object the buffered (authenticated) download mode holds in memory by default: 64 MiB. */
export const DEFAULT_BUFFER_SIZE = 64 * 1024 * 1024;

/** Per-call options accepted by `send` and the helpers. */
export interface EncryptedSendOptions {
  readonly abortSignal?: AbortSignal;
  /** KMS encryption context: bound on write; on read it must equal the stored one (minus reserved keys). */
  readonly encryptionContext?: EncryptionContext;
  /** `UploadPartCommand` only: this is the last part, so the GCM tag is appended to it. */
  readonly isLastPart?: boolean;
}

const bad = (m: string) => new StrongroomError('INVALID_ARGUMENT', m);

/** @throws StrongroomError INVALID_ARGUMENT for conflicting or malformed options. */
export function resolveConfig(c: EncryptedS3ClientConfig): ResolvedConfig {
  if (!c || typeof c.client?.send !== 'function') throw bad('client: an S3Client is required');
  if (c.keyProvider && c.keyProviders) throw bad('set keyProvider or keyProviders, not both');
  const providers = c.keyProviders ? [...c.keyProviders] : c.keyProvider ? [c.keyProvider] : [];
  if (providers.length === 0) throw bad('keyProvider: at least one key provider is required');
  if (c.format !== undefined && c.format !== 'v2' && c.format !== 'v3' && c.format !== 'framed') throw bad('format: must be "v2", "v3" or "framed"');
  const policy: CommitmentPolicy =
    c.commitmentPolicy ?? (c.format === 'v2' ? 'FORBID_ENCRYPT_ALLOW_DECRYPT' : 'REQUIRE_ENCRYPT_ALLOW_DECRYPT');
  if (!['FORBID_ENCRYPT_ALLOW_DECRYPT', 'REQUIRE_ENCRYPT_ALLOW_DECRYPT', 'REQUIRE_ENCRYPT_REQUIRE_DECRYPT'].includes(policy)) {
    throw bad('commitmentPolicy: unknown policy');
  }
  const writeVersion = policy === 'FORBID_ENCRYPT_ALLOW_DECRYPT' ? 2 : 3;
  if (c.format && (c.format !== 'v2') !== (writeVersion === 3)) {
    throw bad(`format "${c.format}" conflicts with commitmentPolicy ${policy}`);
  }
  if (c.bufferSize !== undefined && c.delayedAuthentication) {
    throw bad('bufferSize and delayedAuthentication are mutually exclusive (as in the Java client)');
  }
  if (c.bindLocation !== undefined && typeof c.bindLocation !== 'boolean') throw bad('bindLocation: true or false');
  if (c.requireBinding !== undefined && typeof c.requireBinding !== 'boolean') throw bad('requireBinding: true or false');
  if (c.requireBinding && c.bindLocation === false) throw bad('requireBinding conflicts with bindLocation: false');
  const frameLength = c.frameLength ?? DEFAULT_FRAMED_FRAME_LENGTH;
  if (!Number.isSafeInteger(frameLength) || frameLength < 1 || frameLength > MAX_FRAMED_FRAME_LENGTH) {
    throw bad(`frameLength: an integer from 1 to ${MAX_FRAMED_FRAME_LENGTH}`);
  }
  const bufferSize = c.bufferSize ?? DEFAULT_BUFFER_SIZE;
  if (!Number.isSafeInteger(bufferSize) || bufferSize < 16) throw bad('bufferSize: an integer ≥ 16');
  const envelopeLocation = c.envelopeLocation ?? 'metadata';
  if (envelopeLocation !== 'metadata' && envelopeLocation !== 'instruction-file') throw bad('envelopeLocation: "metadata" or "instruction-file"');
  const instructionSuffix = c.instructionFileSuffix ?? INSTRUCTION_SUFFIX;
  if (!/^\.[A-Za-z0-9._-]{1,64}$/.test(instructionSuffix)) throw bad('instructionFileSuffix: like ".instruction"');
  return {
    client: c.client,
    providers,
    writeVersion,
    writeFormat: c.format ?? (writeVersion === 3 ? 'v3' : 'v2'),
    bindLocation: c.bindLocation ?? true,
    requireBinding: c.requireBinding === true,
    frameLength,
    readV2: policy !== 'REQUIRE_ENCRYPT_REQUIRE_DECRYPT',
    envelopeLocation,
    instructionSuffix,
    materialsDescription: { ...(c.materialsDescription ?? {}) },
    legacyWrapping: c.legacy?.wrappingAlgorithms === true,
    unauthenticatedModes: c.legacy?.unauthenticatedModes === true,
    bufferSize,
    delayedAuthentication: c.delayedAuthentication === true,
    kmsKeyIds: [...(c.kmsKeyIds ?? [])],
  };
}
