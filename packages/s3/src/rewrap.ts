/**
 * Re-wrap: re-encrypt an object's data key under another key provider without rewriting its body
 * (key rotation; the S3 Encryption Client for Java calls it `ReEncryptInstructionFile`,
 * https://docs.aws.amazon.com/amazon-s3-encryption-client/latest/developerguide/).
 *
 * The data key is unchanged, so everything derived from it stays valid: the V2 content IV and GCM
 * tag, and the V3 key commitment (`x-amz-d` = HKDF of data key and message id `x-amz-i`) and content
 * algorithm `x-amz-c`. What changes is the key part of the envelope (spec:
 * s3-encryption/data-format/content-metadata.md): the wrapped key (`x-amz-key-v2` / `x-amz-3`), the
 * wrap algorithm (`x-amz-wrap-alg` / `x-amz-w`) and the materials description or KMS context
 * (`x-amz-matdesc` / `x-amz-m` / `x-amz-t`). The new wrap binds the same content algorithm (GCM AAD,
 * RSA pseudo-key suffix, or `aws:x-amz-cek-alg` in the KMS context) as a fresh object's would.
 *
 * Framed objects (the body is an AWS Encryption SDK message) get a new message header instead
 * (./rewrap-framed.ts).
 *
 * Where the envelope is written follows where it is (spec: data-format/metadata-strategy.md):
 * - object metadata: one self-copy with the new metadata (./rewrap-copy.ts), conditional on the
 *   ETag read, so the object is old or new at every instant;
 * - instruction file: the order of ./instruction-commit.ts — stage the new file under its own name,
 *   self-copy the object with the new file's digest, publish `key.instruction`, drop the staged file.
 */
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { StrongroomError, throwIfAborted, type EncryptionContext, type KeyProvider } from '@strongroom/core';
import { verifyCommitmentAndDerive } from './content-crypto';
import { envelopeLocation, serializeEnvelope, stripEnvelope, type Envelope } from './envelope';
import { digestMetadata, dropStagedInstruction, INSTRUCTION_DIGEST_METADATA, publishInstruction, stageInstruction } from './instruction-commit';
import { unwrapEnvelopeKey, wrapDataKey } from './key-wrap';
import type { WrapAlgorithm } from './metadata-keys';
import { loadEnvelope } from './object-ops';
import type { EncryptedSendOptions, ResolvedConfig } from './options';
import { selfCopy, type SelfCopyOptions } from './rewrap-copy';
import { isFramedObject } from './framed-format';
import { rewrapFramedObject, type FramedRewrapOptions } from './rewrap-framed';

/** What to re-wrap, and under which key. */
export interface RewrapInput {
  readonly Bucket: string;
  readonly Key: string;
  /** The provider that wraps the data key from now on. Default: the client's first provider. */
  readonly toProvider?: KeyProvider;
  /**
   * KMS encryption context bound by the new wrap (kms+context only). Default: the context passed to
   * read the object (`encryptionContext` of the send options) when the new wrap is KMS, else none.
   */
  readonly toEncryptionContext?: EncryptionContext;
  /** Materials description written with a raw or HSM wrap. Default: the client's `materialsDescription`. */
  readonly toMaterialsDescription?: Readonly<Record<string, string>>;
}

/** What a re-wrap changed. */
export interface RewrapResult {
  readonly format: 'v2' | 'v3' | 'framed';
  /** Where the wrapped key is: object metadata, instruction file, or (framed) the message header. */
  readonly envelopeLocation: 'metadata' | 'instruction-file' | 'header';
  /** S3EC wrap algorithms; for framed objects, the provider ids of the encrypted data keys. */
  readonly fromWrapAlgorithm: WrapAlgorithm | string;
  readonly toWrapAlgorithm: WrapAlgorithm | string;
  /** ETag of the object after the self-copy. */
  readonly ETag: string | undefined;
}

/** Internal knobs (tests exercise the multipart copy on small objects). */
export type RewrapCopyOptions = Pick<FramedRewrapOptions, 'multipartThreshold' | 'partSize' | 'putLimit'>;

function checkRewrappable(cfg: ResolvedConfig, env: Envelope): asserts env is Envelope & { version: 2 | 3 } {
  if (env.version === 1 || env.contentAlgorithm === 'cbc') {
    throw new StrongroomError(
      'UNSUPPORTED',
      `re-wrap keeps the content as it is, and this V${env.version} object's content is AES-CBC (unauthenticated): ` +
        're-encrypt it instead (GetObject with the legacy flags, then PutObject)',
    );
  }
  if (env.version === 2 && !cfg.readV2) {
    throw new StrongroomError('COMMITMENT_POLICY', 'commitmentPolicy REQUIRE_ENCRYPT_REQUIRE_DECRYPT forbids reading this V2 (non-committing) object');
  }
}

/**
 * Re-wrap the data key of `Bucket/Key` under `toProvider`, keeping the body, every other user
 * metadata, the content headers, storage class and server-side encryption.
 * @throws StrongroomError as a GET would (MALFORMED, NO_DECRYPTION_KEY, ENCRYPTION_CONTEXT, …),
 *   UNSUPPORTED for V1/CBC objects or a provider without an S3EC wrap; S3 errors pass through
 *   (412 PreconditionFailed: the object was overwritten meanwhile, and is left as the other writer left it).
 */
export async function rewrapObject(
  cfg: ResolvedConfig,
  input: RewrapInput,
  o: EncryptedSendOptions,
  copy: RewrapCopyOptions = {},
): Promise<RewrapResult> {
  throwIfAborted(o.abortSignal);
  const { Bucket, Key } = input;
  if (typeof Bucket !== 'string' || typeof Key !== 'string' || !Bucket || !Key) {
    throw new StrongroomError('INVALID_ARGUMENT', 'rewrapObject: Bucket and Key are required');
  }
  const toProvider = input.toProvider ?? cfg.providers[0]!;
  const send = o.abortSignal ? { abortSignal: o.abortSignal } : {};
  const head = await cfg.client.send(new HeadObjectCommand({ Bucket, Key }), send);
  const metadata = head.Metadata ?? {};
  if (isFramedObject(metadata)) {
    if (input.toEncryptionContext !== undefined || input.toMaterialsDescription !== undefined) {
      throw new StrongroomError('INVALID_ARGUMENT', 'toEncryptionContext / toMaterialsDescription: a framed object keeps the context its header authenticates');
    }
    const r = await rewrapFramedObject(cfg, { bucket: Bucket, key: Key, head }, toProvider, o, { ...copy, abortSignal: o.abortSignal });
    return { format: 'framed', envelopeLocation: 'header', fromWrapAlgorithm: r.from, toWrapAlgorithm: toProvider.providerId, ETag: r.etag };
  }
  const location = envelopeLocation(metadata);
  const env = await loadEnvelope(cfg, Bucket, Key, metadata, o);
  checkRewrappable(cfg, env);

  const readContext = o.encryptionContext ?? {};
  const dataKey = await unwrapEnvelopeKey(cfg.providers, env, {
    encryptionContext: readContext,
    legacyWrapping: cfg.legacyWrapping,
    kmsKeyIds: cfg.kmsKeyIds,
    abortSignal: o.abortSignal,
  });
  let next: Envelope;
  try {
    // The key must open this object before it is wrapped again: V3 checks its commitment (the V2
    // wraps are authenticated, but only a GET's tag ties a V2 key to the body).
    if (env.version === 3) verifyCommitmentAndDerive(dataKey, env.messageId!, env.commitment!).fill(0);
    const toKms = toProvider.providerId === 'aws-kms';
    const wrapped = await wrapDataKey(toProvider, dataKey, env.version, input.toEncryptionContext ?? (toKms ? readContext : {}), o.abortSignal);
    if (wrapped.kmsKeyId && !cfg.kmsKeyIds.includes(wrapped.kmsKeyId)) cfg.kmsKeyIds.push(wrapped.kmsKeyId);
    next = {
      ...env,
      wrapAlgorithm: wrapped.wrapAlgorithm,
      encryptedKey: wrapped.encryptedKey,
      encryptionContext: wrapped.encryptionContext,
      materialsDescription: wrapped.wrapAlgorithm === 'kms+context' ? {} : { ...(input.toMaterialsDescription ?? cfg.materialsDescription) },
    };
  } finally {
    dataKey.fill(0);
  }

  const ser = serializeEnvelope(next, location);
  // Every user metadata entry but the envelope (and the old instruction-file digest) is kept.
  const kept = stripEnvelope(metadata) ?? {};
  delete kept[INSTRUCTION_DIGEST_METADATA];
  const source = { bucket: Bucket, key: Key, head };
  const copyOpts: SelfCopyOptions = { ...copy, abortSignal: o.abortSignal };
  let etag: string | undefined;
  if (!ser.instruction) {
    etag = await selfCopy(cfg.client, source, { ...kept, ...ser.metadata }, copyOpts);
  } else {
    const staged = await stageInstruction(cfg, Bucket, Key, ser.instruction, o);
    try {
      etag = await selfCopy(cfg.client, source, { ...kept, ...ser.metadata, ...digestMetadata(staged) }, copyOpts);
    } catch (error) {
      await dropStagedInstruction(cfg, Bucket, Key, staged);
      throw error;
    }
    await publishInstruction(cfg, Bucket, Key, staged, o);
  }
  return { format: env.version === 3 ? 'v3' : 'v2', envelopeLocation: location, fromWrapAlgorithm: env.wrapAlgorithm, toWrapAlgorithm: next.wrapAlgorithm, ETag: etag };
}
