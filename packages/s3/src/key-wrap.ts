/**
 * Wrapping and unwrapping the content-encryption key (CEK) through Strongroom key providers.
 * spec: s3-encryption/data-format/content-metadata.md (x-amz-wrap-alg / x-amz-w), Java
 * `materials/KmsKeyring`, `AesKeyring`, `RsaKeyring`; Ruby `encryptionV2/utils.rb`.
 *
 * | wrap alg      | provider capability          | bound content-algorithm string            |
 * | kms+context   | generate/decryptDataKey      | context key `aws:x-amz-cek-alg`           |
 * | AES/GCM       | keyWrap 'aes-gcm'            | GCM AAD                                   |
 * | RSA-OAEP-SHA1 | keyWrap 'rsa-oaep-sha1'      | suffix of the pseudo data key              |
 *
 * The bound string is `AES/GCM/NoPadding` for V2 and `115` for V3; binding it is what stops the
 * 2020 in-band downgrade attacks (CVE-2020-8912).
 */
import {
  StrongroomError,
  SUITES,
  type AlgorithmSuite,
  type EncryptedDataKey,
  type EncryptionContext,
  type KeyProvider,
} from '@strongroom/core';
import * as K from './metadata-keys';
import type { WrapAlgorithm } from './metadata-keys';
import type { Envelope } from './envelope';
import { constantTimeEqual, concatBytes, randomBytes, utf8 } from './bytes';
import { DATA_KEY_LENGTH } from './content-params';

/** KMS provider id shared by `KmsKeyProvider` and custom-key-store providers. */
export const KMS_PROVIDER_ID = 'aws-kms';

/** A 32-byte-key suite object to hand to providers (they only read `keyLength`). */
function suiteFor(version: 1 | 2 | 3): AlgorithmSuite {
  return SUITES.get(version === 3 ? 0x0478 : 0x0078)!;
}

/** The content-algorithm string each wrap binds. */
export function boundCekAlg(env: Pick<Envelope, 'contentAlgorithm'>): string {
  switch (env.contentAlgorithm) {
    case 'committing':
      return K.CEK_COMMITTING;
    case 'gcm':
      return K.CEK_GCM;
    case 'cbc':
      return K.CEK_CBC;
  }
}

/** Which wrap algorithm a provider writes with. */
export function wrapAlgorithmOf(provider: KeyProvider): WrapAlgorithm {
  if (provider.providerId === KMS_PROVIDER_ID) return 'kms+context';
  if (provider.keyWrap?.algorithm === 'aes-gcm') return 'AES/GCM';
  if (provider.keyWrap?.algorithm === 'rsa-oaep-sha1') return 'RSA-OAEP-SHA1';
  throw new StrongroomError(
    'UNSUPPORTED',
    `key provider ${JSON.stringify(provider.providerId)} supports none of the S3EC wrap algorithms ` +
      '(kms+context needs providerId "aws-kms"; AES/GCM and RSA-OAEP-SHA1 need a keyWrap capability)',
  );
}

/** The context sent to KMS: caller context plus the reserved cek-alg binding. */
export function kmsContext(callerContext: EncryptionContext, cekAlg: string): Record<string, string> {
  if (Object.hasOwn(callerContext, K.RESERVED_CEK_ALG_CONTEXT_KEY)) {
    throw new StrongroomError(
      'ENCRYPTION_CONTEXT',
      `encryptionContext: ${K.RESERVED_CEK_ALG_CONTEXT_KEY} is reserved for the S3 Encryption Client`,
    );
  }
  return { ...callerContext, [K.RESERVED_CEK_ALG_CONTEXT_KEY]: cekAlg };
}

/** RSA-OAEP-SHA1 pseudo data key: `[len] ‖ key ‖ UTF-8(cekAlg)`. */
function pseudoDataKey(dataKey: Uint8Array, cekAlg: string): Uint8Array {
  return concatBytes([Uint8Array.of(dataKey.length), dataKey, utf8(cekAlg)]);
}

function parsePseudoDataKey(pseudo: Uint8Array, cekAlg: string): Uint8Array {
  const suffix = utf8(cekAlg);
  const expectedLength = 1 + DATA_KEY_LENGTH + suffix.length;
  const buf = pseudo;
  const ok =
    buf.length === expectedLength &&
    buf[0] === DATA_KEY_LENGTH &&
    constantTimeEqual(buf.subarray(1 + DATA_KEY_LENGTH), suffix);
  if (!ok) {
    buf.fill(0);
    throw new StrongroomError('AUTHENTICATION_FAILED', 'RSA-OAEP-SHA1 wrapped key does not bind the content algorithm');
  }
  const key = new Uint8Array(buf.subarray(1, 1 + DATA_KEY_LENGTH)); // a copy (Buffer#slice is a view)
  buf.fill(0);
  return key;
}

/** An existing data key wrapped under a provider (what a re-wrap writes). */
export interface WrappedDataKey {
  readonly wrapAlgorithm: WrapAlgorithm;
  readonly encryptedKey: Uint8Array;
  /** KMS: the full context as sent to KMS (stored as matdesc / x-amz-t). */
  readonly encryptionContext: Record<string, string> | undefined;
  /** KMS: the key ARN the provider reported. */
  readonly kmsKeyId?: string | undefined;
}

/** A fresh data key and its wrapped copy. */
export interface GeneratedEnvelopeKey extends WrappedDataKey {
  /** Plaintext data key (32 bytes). The caller wipes it. */
  readonly dataKey: Uint8Array;
}

/**
 * Create a data key for a new object and wrap it with `provider`.
 * @throws StrongroomError UNSUPPORTED for providers without an S3EC wrap; provider errors pass through.
 */
export async function generateEnvelopeKey(
  provider: KeyProvider,
  version: 2 | 3,
  encryptionContext: EncryptionContext,
  abortSignal: AbortSignal | undefined,
): Promise<GeneratedEnvelopeKey> {
  const wrapAlgorithm = wrapAlgorithmOf(provider);
  const cekAlg = version === 3 ? K.CEK_COMMITTING : K.CEK_GCM;
  if (wrapAlgorithm === 'kms+context') {
    const context = kmsContext(encryptionContext, cekAlg);
    const generated = await provider.generateDataKey({ suite: suiteFor(version), encryptionContext: context, abortSignal });
    const dataKey = new Uint8Array(generated.plaintextKey); // a copy (Buffer#slice would be a view)
    generated.plaintextKey.fill(0);
    if (dataKey.length !== DATA_KEY_LENGTH) throw new StrongroomError('PROVIDER_ERROR', 'KMS returned a data key of the wrong length');
    return {
      dataKey,
      wrapAlgorithm,
      encryptedKey: generated.encryptedDataKey.ciphertext,
      encryptionContext: context,
      kmsKeyId: new TextDecoder().decode(generated.encryptedDataKey.providerInfo),
    };
  }
  const dataKey = randomBytes(DATA_KEY_LENGTH);
  try {
    const wrapped = await wrapDataKey(provider, dataKey, version, encryptionContext, abortSignal);
    return { dataKey, ...wrapped };
  } catch (error) {
    dataKey.fill(0);
    throw error;
  }
}

/**
 * Wrap an existing data key with `provider`, binding the V2 or V3 content algorithm. The caller
 * keeps (and wipes) `dataKey`.
 * @throws StrongroomError UNSUPPORTED for providers without an S3EC wrap, ENCRYPTION_CONTEXT for a
 *   context with a raw wrap; provider errors pass through.
 */
export async function wrapDataKey(
  provider: KeyProvider,
  dataKey: Uint8Array,
  version: 2 | 3,
  encryptionContext: EncryptionContext,
  abortSignal: AbortSignal | undefined,
): Promise<WrappedDataKey> {
  const wrapAlgorithm = wrapAlgorithmOf(provider);
  const cekAlg = version === 3 ? K.CEK_COMMITTING : K.CEK_GCM;
  if (wrapAlgorithm === 'kms+context') {
    const context = kmsContext(encryptionContext, cekAlg);
    const out = await provider.encryptDataKey({ suite: suiteFor(version), encryptionContext: context, plaintextKey: dataKey, abortSignal });
    const edk = Array.isArray(out) ? (out as readonly EncryptedDataKey[])[0] : (out as EncryptedDataKey);
    if (!edk) throw new StrongroomError('PROVIDER_ERROR', 'the KMS provider returned no encrypted data key');
    return { wrapAlgorithm, encryptedKey: edk.ciphertext, encryptionContext: context, kmsKeyId: new TextDecoder().decode(edk.providerInfo) };
  }
  if (Object.keys(encryptionContext).length > 0) {
    throw new StrongroomError(
      'ENCRYPTION_CONTEXT',
      `encryptionContext: the ${wrapAlgorithm} wrap (raw/HSM keys) cannot bind an encryption context; use materialsDescription`,
    );
  }
  const plaintext = wrapAlgorithm === 'AES/GCM' ? dataKey : pseudoDataKey(dataKey, cekAlg);
  try {
    const encryptedKey = await provider.keyWrap!.wrap({
      plaintext,
      ...(wrapAlgorithm === 'AES/GCM' ? { aad: utf8(cekAlg) } : {}),
      ...(abortSignal ? { abortSignal } : {}),
    });
    return { wrapAlgorithm, encryptedKey, encryptionContext: undefined };
  } finally {
    if (plaintext !== dataKey) plaintext.fill(0);
  }
}

export interface UnwrapOptions {
  /** Caller's expected KMS context (without the reserved key). Must match the stored one exactly. */
  readonly encryptionContext: EncryptionContext;
  /** Allow the legacy wrap algorithms (`kms` without context, …). */
  readonly legacyWrapping: boolean;
  /**
   * KMS key ARNs to offer the provider for kms+context objects: S3EC envelopes do not record the
   * KMS key, while Strongroom KMS providers route encrypted data keys by key ARN.
   */
  readonly kmsKeyIds: readonly string[];
  readonly abortSignal: AbortSignal | undefined;
  /** V1 raw-key unwraps (AES/ECB, RSA PKCS#1 v1.5: ./legacy-v1.ts, Node entry only); without it they are UNSUPPORTED. */
  readonly unwrapV1?: (providers: readonly KeyProvider[], env: Envelope) => Uint8Array | Promise<Uint8Array>;
}

function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/**
 * Recover the data key of `env` with the first provider that can.
 * @throws StrongroomError NO_DECRYPTION_KEY when no provider can (causes attached),
 *   ENCRYPTION_CONTEXT when the stored KMS context does not match the caller's,
 *   UNSUPPORTED for legacy wraps without the legacy flag or without an implementation.
 */
export async function unwrapEnvelopeKey(providers: readonly KeyProvider[], env: Envelope, opts: UnwrapOptions): Promise<Uint8Array> {
  const alg = env.wrapAlgorithm;
  if (!K.CURRENT_WRAP_ALGORITHMS.has(alg)) {
    if (!opts.legacyWrapping) {
      throw new StrongroomError(
        'UNSUPPORTED',
        `object uses the legacy wrapping algorithm ${JSON.stringify(alg)}; set legacy.wrappingAlgorithms to read it`,
      );
    }
    // V1 raw-key wraps (AES/ECB, RSA PKCS#1 v1.5): only providers holding the key bytes (./legacy-v1.ts).
    if (env.version === 1 && (alg === 'AES' || alg === 'RSA')) {
      if (!opts.unwrapV1) throw new StrongroomError('UNSUPPORTED', `legacy V1 ${alg} wraps are read by the Node entry of @strongroom/s3 only`);
      return opts.unwrapV1(providers, env);
    }
    if (alg !== 'kms') {
      throw new StrongroomError('UNSUPPORTED', `legacy wrapping algorithm ${JSON.stringify(alg)} needs raw key material and is not supported`);
    }
  }
  if (alg !== 'kms+context' && Object.keys(opts.encryptionContext).length > 0) {
    // Only kms+context stores (and so can check) an encryption context; accepting one here would let
    // a caller believe the object was bound to it.
    throw new StrongroomError(
      'ENCRYPTION_CONTEXT',
      `the object's key is wrapped with ${JSON.stringify(alg)}, which stores no encryption context, so the encryptionContext you passed cannot be checked: drop it to read this object, or write objects with a KMS key (kms+context) or the framed format to bind a context`,
    );
  }
  const cekAlg = boundCekAlg(env);
  const errors: unknown[] = [];

  if (alg === 'kms+context' || alg === 'kms') {
    const stored = env.encryptionContext ?? {};
    if (alg === 'kms+context') {
      // spec/Ruby: the reserved key must bind this object's content algorithm (anti-downgrade).
      if (stored[K.RESERVED_CEK_ALG_CONTEXT_KEY] !== cekAlg) {
        throw new StrongroomError('ENCRYPTION_CONTEXT', `stored KMS context does not bind the content algorithm ${cekAlg}`);
      }
      const withoutReserved = { ...stored };
      delete withoutReserved[K.RESERVED_CEK_ALG_CONTEXT_KEY];
      if (!sameMap(withoutReserved, opts.encryptionContext)) {
        throw new StrongroomError('ENCRYPTION_CONTEXT', 'the object\'s encryption context does not match the provided encryption context');
      }
    }
    // Candidate key ids: the V1 `kms_cmk_id`, the configured hints, then "unknown" (empty).
    const cmk = stored[K.RESERVED_KMS_CMK_ID];
    const candidates = [...new Set([...(cmk === undefined ? [] : [cmk]), ...opts.kmsKeyIds, ''])];
    for (const provider of providers) {
      if (provider.providerId !== KMS_PROVIDER_ID) continue;
      for (const keyId of candidates) {
        try {
          const key = await provider.decryptDataKey({
            suite: suiteFor(env.version),
            encryptionContext: stored,
            encryptedDataKey: { providerId: KMS_PROVIDER_ID, providerInfo: utf8(keyId), ciphertext: env.encryptedKey },
            abortSignal: opts.abortSignal,
          });
          if (key) return checkedKey(key);
        } catch (error) {
          errors.push(error);
          if (StrongroomError.isInstance(error, 'ABORTED')) break;
        }
      }
    }
  } else {
    const want = alg === 'AES/GCM' ? 'aes-gcm' : 'rsa-oaep-sha1';
    for (const provider of providers) {
      if (provider.keyWrap?.algorithm !== want) continue;
      try {
        const unwrapped = await provider.keyWrap.unwrap({
          wrapped: env.encryptedKey,
          ...(want === 'aes-gcm' ? { aad: utf8(cekAlg) } : {}),
          ...(opts.abortSignal ? { abortSignal: opts.abortSignal } : {}),
        });
        if (want === 'aes-gcm') return checkedKey(unwrapped);
        const key = parsePseudoDataKey(unwrapped, cekAlg);
        unwrapped.fill(0);
        return key;
      } catch (error) {
        errors.push(error);
      }
    }
  }
  const abort = errors.find((e) => StrongroomError.isInstance(e, 'ABORTED') || (e as Error)?.name === 'AbortError');
  if (abort) throw abort;
  throw new StrongroomError(
    'NO_DECRYPTION_KEY',
    `no configured key provider could unwrap this object's ${alg} data key`,
    errors.length ? { cause: errors.length === 1 ? errors[0] : new AggregateError(errors) } : {},
  );
}

function checkedKey(key: Uint8Array): Uint8Array {
  if (key.length !== DATA_KEY_LENGTH) {
    key.fill(0);
    throw new StrongroomError('AUTHENTICATION_FAILED', 'unwrapped data key has the wrong length');
  }
  const out = new Uint8Array(key); // a copy: the provider's array is wiped next (Buffer#slice would be a view)
  key.fill(0);
  return out;
}
