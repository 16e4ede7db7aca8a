/**
 * Content-metadata mapkeys and values of the Amazon S3 Encryption Client.
 * spec: s3-encryption/data-format/content-metadata.md#content-metadata-mapkeys
 *
 * Keys are written without the `x-amz-meta-` prefix: the SDK adds it on the wire and strips it from
 * `Metadata` on the way back (spec: "MUST NOT be included in implementation code").
 */

// V1 / V2
export const KEY_V1 = 'x-amz-key';
export const KEY_V2 = 'x-amz-key-v2';
export const IV = 'x-amz-iv';
export const MATDESC = 'x-amz-matdesc';
export const WRAP_ALG = 'x-amz-wrap-alg';
export const CEK_ALG = 'x-amz-cek-alg';
export const TAG_LEN = 'x-amz-tag-len';
export const UNENCRYPTED_LENGTH = 'x-amz-unencrypted-content-length';

// V3 (compressed mapkeys)
export const CONTENT_CIPHER_V3 = 'x-amz-c';
export const ENCRYPTED_DATA_KEY_V3 = 'x-amz-3';
export const MAT_DESC_V3 = 'x-amz-m';
export const ENCRYPTION_CONTEXT_V3 = 'x-amz-t';
export const WRAP_ALG_V3 = 'x-amz-w';
export const KEY_COMMITMENT_V3 = 'x-amz-d';
export const MESSAGE_ID_V3 = 'x-amz-i';

/** Marks an instruction-file object (Java writes it; Ruby 1.117 does not, so it is never required). */
export const INSTRUCTION_FILE_MARKER = 'x-amz-crypto-instr-file';
/** Default instruction-file suffix. spec: metadata-strategy.md */
export const INSTRUCTION_SUFFIX = '.instruction';

/** Keys that only a given format version may carry (spec: "Mapkeys exclusive to other format versions"). */
export const V1_EXCLUSIVE = [KEY_V1] as const;
export const V2_EXCLUSIVE = [KEY_V2, WRAP_ALG, CEK_ALG, TAG_LEN] as const;
export const V1V2_SHARED = [IV, MATDESC] as const;
export const V3_EXCLUSIVE = [
  CONTENT_CIPHER_V3,
  ENCRYPTED_DATA_KEY_V3,
  MAT_DESC_V3,
  ENCRYPTION_CONTEXT_V3,
  WRAP_ALG_V3,
  KEY_COMMITMENT_V3,
  MESSAGE_ID_V3,
] as const;

/** Every mapkey this module understands (used to strip envelopes out of user-visible metadata). */
export const ALL_ENVELOPE_KEYS: ReadonlySet<string> = new Set<string>([
  ...V1_EXCLUSIVE,
  ...V2_EXCLUSIVE,
  ...V1V2_SHARED,
  ...V3_EXCLUSIVE,
  UNENCRYPTED_LENGTH,
]);

/** Content algorithms. spec: content-metadata.md#v2v3-shared */
export const CEK_GCM = 'AES/GCM/NoPadding';
export const CEK_CBC = 'AES/CBC/PKCS5Padding';
/** Ruby also writes/accepts this spelling for CBC. */
export const CEK_CBC_PKCS7 = 'AES/CBC/PKCS7Padding';
/** `ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY` (0x0073) as a decimal string. */
export const CEK_COMMITTING = '115';

/** Wrapping algorithms (V2 names). */
export type WrapAlgorithm =
  | 'kms+context'
  | 'AES/GCM'
  | 'RSA-OAEP-SHA1'
  // legacy, decrypt only
  | 'kms'
  | 'AESWrap'
  | 'RSA/ECB/OAEPWithSHA-256AndMGF1Padding'
  /** V1 objects without `x-amz-wrap-alg`: AES/ECB (raw AES) or RSA PKCS#1 v1.5 (raw RSA). */
  | 'AES'
  | 'RSA';

export const CURRENT_WRAP_ALGORITHMS: ReadonlySet<string> = new Set(['kms+context', 'AES/GCM', 'RSA-OAEP-SHA1']);
export const LEGACY_WRAP_ALGORITHMS: ReadonlySet<string> = new Set([
  'kms',
  'AESWrap',
  'RSA/ECB/OAEPWithSHA-256AndMGF1Padding',
]);

/** V3 compressed wrap-algorithm codes. spec: content-metadata.md#v3-only (x-amz-w) */
export const WRAP_V3_CODES: ReadonlyMap<string, WrapAlgorithm> = new Map([
  ['02', 'AES/GCM'],
  ['12', 'kms+context'],
  ['22', 'RSA-OAEP-SHA1'],
]);
export const WRAP_V3_BY_NAME: ReadonlyMap<WrapAlgorithm, string> = new Map(
  [...WRAP_V3_CODES].map(([code, name]) => [name, code] as const),
);

/** Reserved KMS encryption-context key binding the content algorithm. */
export const RESERVED_CEK_ALG_CONTEXT_KEY = 'aws:x-amz-cek-alg';
/** Reserved key Java adds to V1 `kms` matdesc and strips before comparing contexts. */
export const RESERVED_KMS_CMK_ID = 'kms_cmk_id';
