/**
 * KmsRsaKeyProvider: data keys wrapped offline with the public key of an AWS KMS RSA key and
 * unwrapped by KMS Decrypt, interoperable with the AWS Cryptographic Material Providers Library's
 * AWS KMS RSA keyring. spec: aws-encryption-sdk-specification framework/aws-kms/aws-kms-rsa-keyring.md:
 *  - providerId `aws-kms-rsa`, providerInfo = the configured key ARN (UTF-8);
 *  - ciphertext = RSAES-OAEP (RFC 8017 §7.1; SHA-1 or SHA-256 with MGF1 of the same hash, as the
 *    KMS EncryptionAlgorithm RSAES_OAEP_SHA_1 / RSAES_OAEP_SHA_256) of
 *    SHA-384(serialized encryption context) ‖ data key — KMS cannot bind an encryption context to
 *    an asymmetric key, so the digest inside the wrap binds it;
 *  - encrypt: no KMS request (the public key is given, or fetched once with GetPublicKey on opt-in);
 *  - decrypt: only EDKs whose ARN matches the configured key (MRK-aware); Decrypt is called with the
 *    configured key, the algorithm and the grant tokens and no encryption context; the response
 *    KeyId must be the configured key and the digest must equal that of the decryption context;
 *  - suites with an asymmetric signature are refused both ways (everyone holds the public key, so a
 *    signature would prove nothing; spec "Security Considerations").
 */
import { createHash, randomBytes, timingSafeEqual, type KeyObject, constants, publicEncrypt } from 'node:crypto';
import { DecryptCommand, GetPublicKeyCommand } from '@aws-sdk/client-kms';
import {
  instanceIdentity,
  publicKeyFingerprint,
  serializeEncryptionContext,
  StrongroomError,
  throwIfAborted,
  type AlgorithmSuite,
  type DataKeyRequest,
  type EncryptedDataKey,
  type KeyProvider,
} from '@strongroom/core';
import { mrkMatch, parseKmsArn, regionOf } from './arn';
import { kmsClientIdentity } from './cache-identity';
import { callKms } from './call';
import { createKmsClientSupplier, type KmsClientLike, type KmsClientSupplier } from './client-supplier';
import { raceAbort } from './race-abort';
import type { RetryOptions } from './retry';
import { kmsRsaPublicKey, type RsaPublicKeyInput } from './rsa-public-key';

/** Provider id of the AWS KMS RSA keyring's encrypted data keys (`aws-kms-rsa`). */
export const KMS_RSA_PROVIDER_ID = 'aws-kms-rsa';
/** The KMS RSA encryption algorithms the RSA keyring supports (RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256). */
export const KMS_RSA_ENCRYPTION_ALGORITHMS = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] as const;
/** One of `KMS_RSA_ENCRYPTION_ALGORITHMS`. */
export type KmsRsaEncryptionAlgorithm = (typeof KMS_RSA_ENCRYPTION_ALGORITHMS)[number];

/** SHA-384 digest length: the first bytes of every wrapped plaintext. */
const DIGEST_BYTES = 48;

/** Options of `KmsRsaKeyProvider`: the key ARN, its public key (or fetch it), the OAEP algorithm, client and retry. */
export interface KmsRsaKeyProviderOptions {
  /** ARN of the KMS RSA key (`arn:aws:kms:<region>:<account>:key/<id>`); aliases are not allowed. */
  readonly keyId: string;
  /** The key's OAEP variant, as KMS names it. */
  readonly encryptionAlgorithm: KmsRsaEncryptionAlgorithm;
  /** The key's public key: PEM or DER SubjectPublicKeyInfo (what GetPublicKey returns), or a KeyObject. */
  readonly publicKey?: RsaPublicKeyInput;
  /**
   * Fetch the public key once with KMS GetPublicKey, on the first encrypt. With `publicKey` also
   * given, that first encrypt instead checks the given key is the one KMS holds for `keyId`.
   */
  readonly fetchPublicKey?: boolean;
  readonly grantTokens?: readonly string[];
  /** Region → client, for Decrypt (and GetPublicKey). Default: one cached `KMSClient` per Region. */
  readonly clientProvider?: KmsClientSupplier;
  readonly retry?: RetryOptions;
}

function invalid(message: string): StrongroomError {
  return new StrongroomError('INVALID_ARGUMENT', message);
}

function refuseSigningSuite(suite: AlgorithmSuite, operation: string): void {
  if (suite.signature === undefined) return;
  throw new StrongroomError(
    'UNSUPPORTED',
    `The AWS KMS RSA key provider cannot ${operation} with ${suite.name}: suites with an asymmetric signature are not allowed with a public ` +
      'wrapping key (anyone can wrap, so the signature proves nothing). Use a suite without signature, e.g. 0x0478.',
    { details: { reason: 'SIGNING_SUITE', suiteId: suite.id } },
  );
}

/** SHA-384 of the serialized encryption context (spec: "Encryption Context Digest"). */
function contextDigest(request: DataKeyRequest): Buffer {
  return createHash('sha384').update(serializeEncryptionContext(request.encryptionContext)).digest();
}

/**
 * Create a KMS RSA key provider.
 * @example
 * // Producer (browser, edge): no KMS call, no credentials.
 * const producer = KmsRsaKeyProvider({ keyId: rsaKeyArn, encryptionAlgorithm: 'RSAES_OAEP_SHA_256', publicKey: pem });
 * // Consumer: KMS Decrypt with the private key that never leaves KMS.
 * const consumer = KmsRsaKeyProvider({ keyId: rsaKeyArn, encryptionAlgorithm: 'RSAES_OAEP_SHA_256' });
 * @throws StrongroomError INVALID_ARGUMENT for a key id that is not a key ARN, an unknown algorithm
 *   or a public key that is not a 2048/3072/4096-bit RSA public key.
 */
export function KmsRsaKeyProvider(options: KmsRsaKeyProviderOptions): KeyProvider {
  const { keyId, encryptionAlgorithm } = options ?? ({} as KmsRsaKeyProviderOptions);
  if (typeof keyId !== 'string' || keyId.length > 2048 || parseKmsArn(keyId)?.resourceType !== 'key') {
    throw invalid('keyId: expected the key ARN of a KMS RSA key (arn:aws:kms:<region>:<account>:key/<id>); aliases and bare key ids are not allowed');
  }
  if (!(KMS_RSA_ENCRYPTION_ALGORITHMS as readonly string[]).includes(encryptionAlgorithm)) {
    throw invalid(`encryptionAlgorithm: expected ${KMS_RSA_ENCRYPTION_ALGORITHMS.join(' or ')}`);
  }
  const configuredKey = options.publicKey === undefined ? undefined : kmsRsaPublicKey(options.publicKey);
  const fetchPublicKey = options.fetchPublicKey === true;
  const grantTokens = options.grantTokens ? [...options.grantTokens] : undefined;
  const region = regionOf(keyId)!;
  const keyIdBytes = new TextEncoder().encode(keyId);
  const oaepHash = encryptionAlgorithm === 'RSAES_OAEP_SHA_1' ? 'sha1' : 'sha256';
  let supplier = options.clientProvider;
  const clientFor = (): KmsClientLike | undefined => {
    supplier ??= createKmsClientSupplier();
    return supplier(region);
  };

  /** The public key to wrap with, once known (given, or fetched and checked). */
  let wrappingKey: KeyObject | undefined = fetchPublicKey ? undefined : configuredKey;
  let fetching: Promise<KeyObject> | undefined;

  async function fetchKey(): Promise<KeyObject> {
    const client = clientFor();
    if (!client) throw new StrongroomError('KEY_UNAVAILABLE', `The client provider supplies no KMS client for ${region}, so the public key of ${keyId} cannot be fetched`);
    const out = await callKms<{ KeyId?: string; PublicKey?: Uint8Array; KeyUsage?: string; EncryptionAlgorithms?: string[] }>(
      client,
      'GetPublicKey',
      keyId,
      new GetPublicKeyCommand({ KeyId: keyId, ...(grantTokens && { GrantTokens: grantTokens }) }),
      undefined,
      options.retry,
    );
    if (out.KeyId !== keyId || !(out.PublicKey instanceof Uint8Array)) {
      throw new StrongroomError('PROVIDER_ERROR', `KMS GetPublicKey answered for key ${String(out.KeyId)} instead of ${keyId}, or without a public key`);
    }
    if (out.KeyUsage !== 'ENCRYPT_DECRYPT' || !out.EncryptionAlgorithms?.includes(encryptionAlgorithm)) {
      throw invalid(`${keyId} is not an RSA encryption key that supports ${encryptionAlgorithm} (KeyUsage ${String(out.KeyUsage)}); create it with KeyUsage ENCRYPT_DECRYPT and an RSA key spec`);
    }
    const held = kmsRsaPublicKey(out.PublicKey, `the public key KMS returned for ${keyId}`);
    if (configuredKey && !configuredKey.export({ type: 'spki', format: 'der' }).equals(held.export({ type: 'spki', format: 'der' }))) {
      throw invalid(`publicKey: it is not the public key of ${keyId} (KMS GetPublicKey returned another); messages wrapped with it could never be decrypted`);
    }
    return held;
  }

  async function publicKeyFor(abortSignal: AbortSignal | undefined): Promise<KeyObject> {
    throwIfAborted(abortSignal);
    if (wrappingKey) return wrappingKey;
    if (!fetchPublicKey) {
      throw new StrongroomError('UNSUPPORTED', `This KmsRsaKeyProvider has no public key for ${keyId} and cannot encrypt: give publicKey, or set fetchPublicKey: true`);
    }
    // One GetPublicKey for all concurrent callers; each may stop waiting on its own signal.
    fetching ??= fetchKey().then(
      (key) => (wrappingKey = key),
      (e: unknown) => {
        fetching = undefined; // a failed fetch is tried again by the next encrypt
        throw e;
      },
    );
    return raceAbort(fetching, abortSignal);
  }

  async function wrap(request: DataKeyRequest, dataKey: Uint8Array): Promise<EncryptedDataKey> {
    refuseSigningSuite(request.suite, 'encrypt');
    const key = await publicKeyFor(request.abortSignal);
    const plaintext = Buffer.concat([contextDigest(request), dataKey]);
    try {
      const ciphertext = publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, plaintext);
      return { providerId: KMS_RSA_PROVIDER_ID, providerInfo: keyIdBytes, ciphertext: new Uint8Array(ciphertext) };
    } finally {
      plaintext.fill(0);
    }
  }

  const encryptToken = {};

  return {
    providerId: KMS_RSA_PROVIDER_ID,

    /**
     * Encrypt: the key ARN, algorithm and public key — shared with no other instance, since the
     * public key is no credential. Decrypt: the key ARN and algorithm with the client's endpoint and
     * principal, as KmsKeyProvider states it.
     */
    async cacheIdentity(purpose) {
      if (purpose === 'encrypt') {
        if (!wrappingKey) return undefined;
        return JSON.stringify([KMS_RSA_PROVIDER_ID, keyId, encryptionAlgorithm, publicKeyFingerprint(wrappingKey), instanceIdentity(encryptToken)]);
      }
      const client = clientFor();
      return client === undefined ? undefined : JSON.stringify([KMS_RSA_PROVIDER_ID, keyId, encryptionAlgorithm, await kmsClientIdentity(client)]);
    },

    async generateDataKey(request) {
      throwIfAborted(request.abortSignal);
      const plaintextKey = new Uint8Array(randomBytes(request.suite.keyLength));
      try {
        return { plaintextKey, encryptedDataKey: await wrap(request, plaintextKey) };
      } catch (e) {
        plaintextKey.fill(0);
        throw e;
      }
    },

    async encryptDataKey(request) {
      throwIfAborted(request.abortSignal);
      return wrap(request, request.plaintextKey);
    },

    async decryptDataKey(request) {
      throwIfAborted(request.abortSignal);
      const edk = request.encryptedDataKey;
      if (edk.providerId !== KMS_RSA_PROVIDER_ID) return undefined;
      let edkArn: string;
      try {
        edkArn = new TextDecoder('utf-8', { fatal: true }).decode(edk.providerInfo);
      } catch {
        throw new StrongroomError('MALFORMED', 'An aws-kms-rsa encrypted data key names no key ARN (its provider info is not UTF-8)');
      }
      // spec: the provider info MUST be a key ARN, or OnDecrypt fails.
      if (parseKmsArn(edkArn)?.resourceType !== 'key') throw new StrongroomError('MALFORMED', 'An aws-kms-rsa encrypted data key names no key ARN');
      // Another key's EDK: not ours. KMS is never called with a key id taken from the message.
      if (!mrkMatch(keyId, edkArn)) return undefined;
      refuseSigningSuite(request.suite, 'decrypt');
      if (edk.ciphertext.length === 0 || edk.ciphertext.length > 6144) {
        throw new StrongroomError('MALFORMED', `An aws-kms-rsa encrypted data key of ${edk.ciphertext.length} bytes cannot be a KMS RSA ciphertext`);
      }
      const client = clientFor();
      if (client === undefined) return undefined; // the client provider declines this Region
      const expected = contextDigest(request);
      const out = await callKms<{ KeyId?: string; Plaintext?: Uint8Array }>(
        client,
        'Decrypt',
        keyId,
        new DecryptCommand({
          KeyId: keyId,
          CiphertextBlob: edk.ciphertext,
          EncryptionAlgorithm: encryptionAlgorithm,
          ...(grantTokens && { GrantTokens: grantTokens }),
        }),
        request.abortSignal,
        options.retry,
      );
      const plaintext = out.Plaintext;
      try {
        if (out.KeyId !== keyId || !(plaintext instanceof Uint8Array) || plaintext.length !== DIGEST_BYTES + request.suite.keyLength) {
          throw new StrongroomError('PROVIDER_ERROR', `KMS Decrypt answered for key ${String(out.KeyId)} instead of ${keyId}, or with a plaintext of the wrong length`);
        }
        if (!timingSafeEqual(plaintext.subarray(0, DIGEST_BYTES), expected)) {
          throw new StrongroomError(
            'AUTHENTICATION_FAILED',
            `The data key wrapped for ${keyId} is bound to another encryption context: decrypt with the context the message was written with`,
          );
        }
        return plaintext.slice(DIGEST_BYTES);
      } finally {
        if (plaintext instanceof Uint8Array) plaintext.fill(0);
      }
    },
  };
}
