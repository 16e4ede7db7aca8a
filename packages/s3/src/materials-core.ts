/**
 * Content materials for one object, for both entries: a fresh data key wrapped into an envelope
 * (encrypt), or the unwrapped data key turned into content parameters (decrypt). The V3 key
 * derivation is passed in (node:crypto on the Node entry, Web Crypto on the web entry).
 * spec: s3-encryption/encryption.md, key-derivation.md, decryption.md (commitment before use).
 */
import { StrongroomError, type EncryptionContext, type KeyProvider } from '@strongroom/core';
import { constantTimeEqual, randomBytes } from './bytes';
import { MESSAGE_ID_LENGTH, v2ContentParams, v3ContentParams, type ContentParams } from './content-params';
import type { Envelope } from './envelope';
import { generateEnvelopeKey, unwrapEnvelopeKey, type UnwrapOptions } from './key-wrap';

/** HKDF-SHA512 of key-derivation.md: the 28-byte commitment and the 32-byte content key. */
export interface ContentKdf {
  commitment(dataKey: Uint8Array, messageId: Uint8Array): Uint8Array | Promise<Uint8Array>;
  contentKey(dataKey: Uint8Array, messageId: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

export interface ContentMaterials {
  readonly envelope: Envelope;
  readonly params: ContentParams;
  /** Wipe the data key and derived key. */
  wipe(): void;
}

/** Generate and wrap a data key for a new V2 or V3 object. */
export async function newMaterials(
  kdf: ContentKdf,
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
      envelope: { ...common, version: 2, contentAlgorithm: 'gcm', iv, commitment: undefined, messageId: undefined, unencryptedContentLength },
      params: v2ContentParams(g.dataKey, iv),
      wipe: () => g.dataKey.fill(0),
    };
  }
  const messageId = randomBytes(MESSAGE_ID_LENGTH);
  try {
    const commitment = await kdf.commitment(g.dataKey, messageId);
    const derived = await kdf.contentKey(g.dataKey, messageId);
    return {
      envelope: { ...common, version: 3, contentAlgorithm: 'committing', iv: undefined, commitment, messageId, unencryptedContentLength: undefined },
      params: v3ContentParams(derived),
      wipe: () => derived.fill(0),
    };
  } finally {
    g.dataKey.fill(0);
  }
}

/**
 * Unwrap the data key of an existing object and produce its content parameters.
 * @throws StrongroomError AUTHENTICATION_FAILED when a V3 commitment does not match (checked in
 *   constant time before the derived key exists); see `unwrapEnvelopeKey` for the rest.
 */
export async function existingMaterials(kdf: ContentKdf, providers: readonly KeyProvider[], envelope: Envelope, opts: UnwrapOptions): Promise<ContentMaterials> {
  const dataKey = await unwrapEnvelopeKey(providers, envelope, opts);
  if (envelope.version !== 3) {
    return { envelope, params: v2ContentParams(dataKey, envelope.iv!), wipe: () => dataKey.fill(0) };
  }
  try {
    const expected = await kdf.commitment(dataKey, envelope.messageId!);
    const ok = constantTimeEqual(expected, envelope.commitment!);
    expected.fill(0);
    // spec: decryption.md — the commitment MUST be verified before the derived key is used.
    if (!ok) throw new StrongroomError('AUTHENTICATION_FAILED', 'S3EC key commitment does not match the data key');
    const derived = await kdf.contentKey(dataKey, envelope.messageId!);
    return { envelope, params: v3ContentParams(derived), wipe: () => derived.fill(0) };
  } finally {
    dataKey.fill(0);
  }
}
