/**
 * Algorithm suites of the AWS Encryption SDK.
 * spec: aws-encryption-sdk-specification framework/algorithm-suites.md (supported suites table).
 *
 * Version 1 messages use the 0x00xx–0x03xx suites; version 2 messages use the committing suites
 * 0x0478 and 0x0578. All content encryption is AES-GCM with 12-byte IVs and 16-byte tags.
 */
import { StrongroomError } from './errors';

/** An AWS Encryption SDK algorithm suite id (spec: framework/algorithm-suites.md); `0x0478` is the default. */
export type SuiteId = 0x0014 | 0x0046 | 0x0078 | 0x0114 | 0x0146 | 0x0178 | 0x0214 | 0x0346 | 0x0378 | 0x0478 | 0x0578;
/** Hash of a suite's HKDF. */
export type KdfHash = 'sha256' | 'sha384' | 'sha512';
/** Curve of a signed suite's ECDSA signature. */
export type SignatureCurve = 'P-256' | 'P-384';

/** An algorithm suite's parameters: message version, key, IV and tag lengths, key derivation, commitment, signature. */
export interface AlgorithmSuite {
  readonly id: SuiteId;
  /** Human name, as in the spec (e.g. `AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384`). */
  readonly name: string;
  /** Message format version this suite is written with. */
  readonly messageVersion: 1 | 2;
  /** AES key length in bytes (= data key length). */
  readonly keyLength: 16 | 24 | 32;
  readonly ivLength: 12;
  readonly tagLength: 16;
  /** HKDF hash, or undefined for the identity KDF (data key used directly). */
  readonly kdf: KdfHash | undefined;
  /** True for suites that carry a key commitment (version 2). */
  readonly committing: boolean;
  /** ECDSA curve of the trailing signature, or undefined. */
  readonly signature: SignatureCurve | undefined;
  /** Hash used with the signature (SHA-256 for P-256, SHA-384 for P-384). */
  readonly signatureHash: 'sha256' | 'sha384' | undefined;
}

function suite(
  id: SuiteId,
  name: string,
  keyLength: 16 | 24 | 32,
  kdf: KdfHash | undefined,
  signature: SignatureCurve | undefined,
): AlgorithmSuite {
  const committing = id === 0x0478 || id === 0x0578;
  return Object.freeze({
    id,
    name,
    messageVersion: committing ? 2 : 1,
    keyLength,
    ivLength: 12,
    tagLength: 16,
    kdf,
    committing,
    signature,
    signatureHash: signature === 'P-256' ? 'sha256' : signature === 'P-384' ? 'sha384' : undefined,
  } as const);
}

/** Every suite this SDK reads, keyed by id. */
export const SUITES: ReadonlyMap<number, AlgorithmSuite> = new Map(
  [
    suite(0x0014, 'AES_128_GCM_IV12_TAG16_NO_KDF', 16, undefined, undefined),
    suite(0x0046, 'AES_192_GCM_IV12_TAG16_NO_KDF', 24, undefined, undefined),
    suite(0x0078, 'AES_256_GCM_IV12_TAG16_NO_KDF', 32, undefined, undefined),
    suite(0x0114, 'AES_128_GCM_IV12_TAG16_HKDF_SHA256', 16, 'sha256', undefined),
    suite(0x0146, 'AES_192_GCM_IV12_TAG16_HKDF_SHA256', 24, 'sha256', undefined),
    suite(0x0178, 'AES_256_GCM_IV12_TAG16_HKDF_SHA256', 32, 'sha256', undefined),
    suite(0x0214, 'AES_128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256', 16, 'sha256', 'P-256'),
    suite(0x0346, 'AES_192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384', 24, 'sha384', 'P-384'),
    suite(0x0378, 'AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384', 32, 'sha384', 'P-384'),
    suite(0x0478, 'AES_256_GCM_HKDF_SHA512_COMMIT_KEY', 32, 'sha512', undefined),
    suite(0x0578, 'AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384', 32, 'sha512', 'P-384'),
  ].map((s) => [s.id, s] as const),
);

/** The default suite for new messages: AES-256-GCM, HKDF-SHA512, key commitment, no signature. */
export const DEFAULT_SUITE: AlgorithmSuite = SUITES.get(0x0478)!;

/**
 * The one suite random access to framed messages allows: committing, unsigned (a signature over the
 * whole message would leave a single frame unverifiable).
 */
export const FRAMED_SUITE_ID = 0x0478;

/** Look up a suite by numeric id; throws a typed error for unknown ids. */
export function getSuite(id: number): AlgorithmSuite {
  const s = SUITES.get(id);
  if (!s) {
    throw new StrongroomError('MALFORMED', `Unknown algorithm suite 0x${id.toString(16).padStart(4, '0')}`);
  }
  return s;
}

/** Accepts a suite object, a numeric id or a hex string like `"0478"` / `"0x0578"`. */
export function resolveSuite(suite: AlgorithmSuite | number | string | undefined): AlgorithmSuite {
  if (suite === undefined) return DEFAULT_SUITE;
  if (typeof suite === 'object') return getSuite(suite.id);
  const id = typeof suite === 'number' ? suite : Number.parseInt(suite.replace(/^0x/i, ''), 16);
  if (!Number.isInteger(id) || !SUITES.has(id)) {
    throw new StrongroomError('INVALID_ARGUMENT', `suite: unknown algorithm suite ${JSON.stringify(suite)}`);
  }
  return SUITES.get(id)!;
}
