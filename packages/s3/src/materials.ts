/**
 * Content materials for one object: a fresh data key wrapped into an envelope (encrypt), or the
 * unwrapped data key turned into content parameters (decrypt).
 * spec: s3-encryption/encryption.md, key-derivation.md, decryption.md (commitment before use).
 */
import { randomBytes } from 'node:crypto';
import type { EncryptionContext, KeyProvider } from '@strongroom/core';
import type { Envelope } from './envelope';
import {
  deriveCommitment,
  deriveContentKey,
  MESSAGE_ID_LENGTH,
  v2ContentParams,
  v3ContentParams,
  verifyCommitmentAndDerive,
  type ContentParams,
} from './content-crypto';
import { generateEnvelopeKey, unwrapEnvelopeKey, type UnwrapOptions } from './key-wrap';

export interface ContentMaterials {
  readonly envelope: Envelope;
  readonly params: ContentParams;
  /** Wipe the data key and derived key. */
  wipe(): void;
}

/** Generate and wrap a data key for a new V2 or V3 object. */
export async function newObjectMaterials(
  provider: KeyProvider,
  version: 2 | 3,
  encryptionContext: EncryptionContext,
  materialsDescription: Readonly<Record<string, string>>,
  unencryptedContentLength: number | undefined,
  abortSignal: AbortSignal | undefined,
  learnedKmsKeyIds?: string[],
): Promise<ContentMaterials> {
  const g = await generateEnvelopeKey(provider, version, encryptionContext, abortSignal);
  if (g.kmsKeyId && learnedKmsKeyIds && !learnedKmsKeyIds.includes(g.kmsKeyId)) learnedKmsKeyIds.push(g.kmsKeyId);
  const common = {
    wrapAlgorithm: g.wrapAlgorithm,
    encryptedKey: g.encryptedKey,
    materialsDescription: g.wrapAlgorithm === 'kms+context' ? {} : { ...materialsDescription },
    encryptionContext: g.encryptionContext,
  };
  if (version === 2) {
    const iv = randomBytes(12);
    return {
      envelope: {
        ...common,
        version: 2,
        contentAlgorithm: 'gcm',
        iv,
        commitment: undefined,
        messageId: undefined,
        unencryptedContentLength,
      },
      params: v2ContentParams(g.dataKey, iv),
      wipe: () => g.dataKey.fill(0),
    };
  }
  const messageId = randomBytes(MESSAGE_ID_LENGTH);
  const commitment = deriveCommitment(g.dataKey, messageId);
  const derived = deriveContentKey(g.dataKey, messageId);
  g.dataKey.fill(0);
  return {
    envelope: {
      ...common,
      version: 3,
      contentAlgorithm: 'committing',
      iv: undefined,
      commitment,
      messageId,
      unencryptedContentLength: undefined,
    },
    params: v3ContentParams(derived),
    wipe: () => derived.fill(0),
  };
}

/**
 * Unwrap the data key of an existing object and produce its content parameters.
 * @throws StrongroomError AUTHENTICATION_FAILED when a V3 commitment does not match (checked in
 *   constant time before the derived key exists); see `unwrapEnvelopeKey` for the rest.
 */
export async function existingObjectMaterials(
  providers: readonly KeyProvider[],
  envelope: Envelope,
  opts: UnwrapOptions,
): Promise<ContentMaterials> {
  const dataKey = await unwrapEnvelopeKey(providers, envelope, opts);
  if (envelope.version !== 3) {
    return { envelope, params: v2ContentParams(dataKey, envelope.iv!), wipe: () => dataKey.fill(0) };
  }
  try {
    const derived = verifyCommitmentAndDerive(dataKey, envelope.messageId!, envelope.commitment!);
    return { envelope, params: v3ContentParams(derived), wipe: () => derived.fill(0) };
  } finally {
    dataKey.fill(0);
  }
}
