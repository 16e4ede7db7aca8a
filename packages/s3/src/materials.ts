/**
 * Content materials on the Node entry: ./materials-core.ts with node:crypto's HKDF and the legacy V1
 * raw-key unwraps (./legacy-v1.ts).
 * spec: s3-encryption/encryption.md, key-derivation.md, decryption.md (commitment before use).
 */
import type { KeyProvider } from '@strongroom/core';
import type { Envelope } from './envelope';
import { deriveCommitment, deriveContentKey } from './content-crypto';
import type { UnwrapOptions } from './key-wrap';
import { unwrapV1RawKey } from './legacy-v1';
import { existingMaterials, newMaterials, type ContentKdf, type ContentMaterials } from './materials-core';

export type { ContentMaterials } from './materials-core';

const NODE_KDF: ContentKdf = { commitment: deriveCommitment, contentKey: deriveContentKey };

type Rest<F> = F extends (kdf: ContentKdf, ...rest: infer R) => unknown ? R : never;

/** Generate and wrap a data key for a new V2 or V3 object (./materials-core.ts `newMaterials`). */
export function newObjectMaterials(...args: Rest<typeof newMaterials>): Promise<ContentMaterials> {
  return newMaterials(NODE_KDF, ...args);
}

/** Unwrap the data key of an existing object (V1 raw-key wraps too) and produce its content parameters. */
export function existingObjectMaterials(providers: readonly KeyProvider[], envelope: Envelope, opts: UnwrapOptions): Promise<ContentMaterials> {
  return existingMaterials(NODE_KDF, providers, envelope, { unwrapV1: unwrapV1RawKey, ...opts });
}
