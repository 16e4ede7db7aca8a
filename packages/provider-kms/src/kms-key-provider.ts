/**
 * KmsKeyProvider: the core KeyProvider seam over AWS KMS, interoperable with the AWS Encryption
 * SDK's KMS keyring.
 * spec: aws-encryption-sdk-specification framework/aws-kms/aws-kms-keyring.md and
 * aws-kms-mrk-keyring.md / aws-kms-discovery-keyring.md:
 *  - providerId `aws-kms`, providerInfo = the key ARN KMS returns (UTF-8);
 *  - encrypt: GenerateDataKey with the generator, Encrypt for wrapping an existing key; the full
 *    encryption context is sent to KMS;
 *  - decrypt (strict): only EDKs whose ARN matches a configured key ARN (MRK-aware: `mrk-` keys
 *    match across Regions and are decrypted with the configured Region's replica); Decrypt is called
 *    with that KeyId and the response KeyId and plaintext length are checked;
 *  - decrypt (discovery): any EDK whose ARN is in the allowed partition and accounts.
 */
import { DecryptCommand, EncryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import {
  instanceIdentity,
  StrongroomError,
  type DataKeyRequest,
  type EncryptedDataKey,
  type GeneratedDataKey,
  type KeyProvider,
} from '@strongroom/core';
import { isMultiRegionKey, mrkMatch, parseKmsArn, regionOf, withRegion } from './arn';
import { kmsClientIdentity } from './cache-identity';
import { createKmsClientSupplier, type KmsClientLike, type KmsClientSupplier } from './client-supplier';
import { callKms } from './call';
import type { RetryOptions } from './retry';

/** The `providerId` of KMS encrypted data keys, as in the AWS Encryption SDK. */
export const KMS_PROVIDER_ID = 'aws-kms';

/** Discovery mode's limit: only keys of these accounts in this partition (and optionally Region). */
export interface KmsDiscoveryFilter {
  /** Only decrypt with keys owned by these accounts. */
  readonly accountIds: readonly string[];
  /** e.g. `aws`. */
  readonly partition: string;
  /** MRK-aware discovery: decrypt `mrk-` EDKs with the replica in this Region. */
  readonly region?: string;
}

/**
 * Options of {@link KmsKeyProvider}: the generator and extra key ids (or discovery), grant tokens, the client supplier, Region, retries.
 */
export interface KmsKeyProviderOptions {
  /** Key (ARN, id or alias) that generates data keys. Required to encrypt. */
  readonly generatorKeyId?: string;
  /**
   * More keys: each also wraps every data key (one Encrypt per key after the generator's
   * GenerateDataKey, as the ESDK KMS keyring), and key ARNs among them are accepted for decryption.
   */
  readonly keyIds?: readonly string[];
  /** Discovery mode: decrypt any `aws-kms` EDK from these accounts. Cannot encrypt. */
  readonly discovery?: KmsDiscoveryFilter;
  readonly grantTokens?: readonly string[];
  /** Region → client. Default: one cached `KMSClient` per Region from the default credential chain. */
  readonly clientProvider?: KmsClientSupplier;
  /** Region for key ids that are not ARNs (bare ids, alias names). Default on Node: AWS_REGION / AWS_DEFAULT_REGION; none on the web entry. */
  readonly region?: string;
  readonly retry?: RetryOptions;
}

function invalid(message: string): StrongroomError {
  return new StrongroomError('INVALID_ARGUMENT', message);
}

function checkKeyId(id: unknown, name: string): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 2048) throw invalid(`${name}: expected a KMS key ARN, key id or alias`);
  return id;
}

/**
 * The KMS key provider of both entries; `environmentRegion` is the Region for key ids that are not
 * ARNs when `options.region` is unset (the Node entry reads AWS_REGION / AWS_DEFAULT_REGION; a web
 * runtime has no environment).
 * @throws StrongroomError INVALID_ARGUMENT for an inconsistent configuration.
 */
export function kmsKeyProvider(options: KmsKeyProviderOptions, environmentRegion: string | undefined): KeyProvider {
  const generatorKeyId = options.generatorKeyId === undefined ? undefined : checkKeyId(options.generatorKeyId, 'generatorKeyId');
  const keyIds = (options.keyIds ?? []).map((k, i) => checkKeyId(k, `keyIds[${i}]`));
  const discovery = options.discovery;
  if (discovery) {
    if (generatorKeyId !== undefined || keyIds.length > 0) throw invalid('discovery: a discovery provider takes no generatorKeyId or keyIds');
    if (!Array.isArray(discovery.accountIds) || discovery.accountIds.length === 0 || discovery.accountIds.some((a) => typeof a !== 'string' || a === '')) {
      throw invalid('discovery.accountIds: expected a non-empty list of account ids');
    }
    if (typeof discovery.partition !== 'string' || discovery.partition === '') throw invalid('discovery.partition: expected e.g. "aws"');
  } else if (generatorKeyId === undefined && keyIds.length === 0) {
    throw invalid('KmsKeyProvider needs a generatorKeyId, keyIds or a discovery filter');
  }
  const grantTokens = options.grantTokens ? [...options.grantTokens] : undefined;
  const defaultRegion = options.region ?? environmentRegion;
  let supplier = options.clientProvider;
  /** The client for a key's Region; undefined when the client provider declines that Region. */
  const clientFor = (keyId: string): KmsClientLike | undefined => {
    const region = regionOf(keyId) ?? defaultRegion;
    if (region === undefined) throw invalid(`Cannot tell the Region of key ${keyId}: use a key ARN or set options.region`);
    supplier ??= createKmsClientSupplier();
    return supplier(region);
  };
  const requireClient = (keyId: string): KmsClientLike => {
    const client = clientFor(keyId);
    if (!client) throw new StrongroomError('KEY_UNAVAILABLE', `The client provider supplies no KMS client for the Region of ${keyId}`);
    return client;
  };

  async function call<T>(operation: string, keyId: string, command: unknown, abortSignal: AbortSignal | undefined, client = requireClient(keyId)): Promise<T> {
    return callKms<T>(client, operation, keyId, command, abortSignal, options.retry);
  }

  function edkFor(arn: unknown, blob: unknown, operation: string): EncryptedDataKey {
    if (typeof arn !== 'string' || !parseKmsArn(arn) || !(blob instanceof Uint8Array) || blob.length === 0) {
      throw new StrongroomError('PROVIDER_ERROR', `KMS ${operation} returned a malformed response (KeyId must be a key ARN)`);
    }
    return { providerId: KMS_PROVIDER_ID, providerInfo: new TextEncoder().encode(arn), ciphertext: blob };
  }

  /** The KeyId to call Decrypt with for an EDK, or undefined when the EDK is not ours. */
  function decryptKeyFor(edkArn: string): string | undefined {
    const arn = parseKmsArn(edkArn);
    if (!arn || arn.resourceType !== 'key') return undefined;
    if (discovery) {
      if (arn.partition !== discovery.partition || !discovery.accountIds.includes(arn.accountId)) return undefined;
      return discovery.region !== undefined && isMultiRegionKey(edkArn) ? withRegion(edkArn, discovery.region) : edkArn;
    }
    for (const configured of [...(generatorKeyId === undefined ? [] : [generatorKeyId]), ...keyIds]) {
      if (parseKmsArn(configured)?.resourceType === 'key' && mrkMatch(configured, edkArn)) return configured;
    }
    return undefined;
  }

  const wrappingKey = generatorKeyId ?? keyIds[0];

  async function encryptWith(keyId: string, plaintextKey: Uint8Array, request: DataKeyRequest): Promise<EncryptedDataKey> {
    const out = await call<{ KeyId?: string; CiphertextBlob?: Uint8Array }>(
      'Encrypt',
      keyId,
      new EncryptCommand({
        KeyId: keyId,
        Plaintext: plaintextKey,
        EncryptionContext: { ...request.encryptionContext },
        ...(grantTokens && { GrantTokens: grantTokens }),
      }),
      request.abortSignal,
    );
    const edk = edkFor(out.KeyId, out.CiphertextBlob, 'Encrypt');
    resolvedArns.set(keyId, out.KeyId as string);
    return edk;
  }

  /** Configured key id → the key ARN KMS answered with for it (aliases and bare ids resolve here). */
  const resolvedArns = new Map<string, string>();
  const discoveryToken = {};

  /**
   * Cache identity: per configured key, the key ARN and the identity of the client that calls it
   * (endpoint and principal). Encrypt: every configured key, known once it is a key ARN or KMS has
   * resolved it; decrypt: the key ARNs EDKs can match. Undefined (not cached) until then.
   */
  async function cacheIdentity(purpose: 'encrypt' | 'decrypt'): Promise<string | undefined> {
    if (discovery) {
      if (purpose === 'encrypt') return undefined;
      // Any account's key through any Region's client: only this provider (or its supplier) shares.
      return JSON.stringify(['discovery', discovery.partition, [...discovery.accountIds].sort(), discovery.region ?? null, instanceIdentity(options.clientProvider ?? discoveryToken)]);
    }
    const configured = [...(generatorKeyId === undefined ? [] : [generatorKeyId]), ...keyIds];
    const keys: string[][] = [];
    for (const keyId of configured) {
      const isKeyArn = parseKmsArn(keyId)?.resourceType === 'key';
      const arn = purpose === 'decrypt' ? (isKeyArn ? keyId : undefined) : (resolvedArns.get(keyId) ?? (isKeyArn ? keyId : undefined));
      if (arn === undefined) {
        if (purpose === 'encrypt') return undefined;
        continue; // an alias or bare id never matches an EDK on decrypt
      }
      const client = clientFor(keyId);
      if (client === undefined) continue;
      keys.push([arn, await kmsClientIdentity(client)]);
    }
    return keys.length === 0 ? undefined : JSON.stringify(keys);
  }

  return {
    providerId: KMS_PROVIDER_ID,
    cacheIdentity,

    async generateDataKey(request: DataKeyRequest): Promise<GeneratedDataKey> {
      if (generatorKeyId === undefined) throw new StrongroomError('UNSUPPORTED', 'This KmsKeyProvider has no generatorKeyId and cannot generate data keys');
      const out = await call<{ KeyId?: string; Plaintext?: Uint8Array; CiphertextBlob?: Uint8Array }>(
        'GenerateDataKey',
        generatorKeyId,
        new GenerateDataKeyCommand({
          KeyId: generatorKeyId,
          NumberOfBytes: request.suite.keyLength,
          EncryptionContext: { ...request.encryptionContext },
          ...(grantTokens && { GrantTokens: grantTokens }),
        }),
        request.abortSignal,
      );
      if (!(out.Plaintext instanceof Uint8Array) || out.Plaintext.length !== request.suite.keyLength) {
        out.Plaintext?.fill(0);
        throw new StrongroomError('PROVIDER_ERROR', 'KMS GenerateDataKey returned a data key of the wrong length');
      }
      try {
        const encryptedDataKey = edkFor(out.KeyId, out.CiphertextBlob, 'GenerateDataKey');
        resolvedArns.set(generatorKeyId, out.KeyId as string);
        // spec: aws-kms-keyring.md#onencrypt — then one Encrypt per additional key id.
        const additionalEncryptedDataKeys: EncryptedDataKey[] = [];
        for (const k of keyIds) additionalEncryptedDataKeys.push(await encryptWith(k, out.Plaintext, request));
        return { plaintextKey: out.Plaintext, encryptedDataKey, ...(additionalEncryptedDataKeys.length > 0 && { additionalEncryptedDataKeys }) };
      } catch (e) {
        out.Plaintext.fill(0);
        throw e;
      }
    },

    async encryptDataKey(request): Promise<EncryptedDataKey | EncryptedDataKey[]> {
      if (wrappingKey === undefined) throw new StrongroomError('UNSUPPORTED', 'A discovery KmsKeyProvider cannot wrap data keys');
      // One EDK per configured key (generator first), as the ESDK KMS keyring does for an existing data key.
      const all = [...(generatorKeyId === undefined ? [] : [generatorKeyId]), ...keyIds];
      const edks: EncryptedDataKey[] = [];
      for (const k of all) edks.push(await encryptWith(k, request.plaintextKey, request));
      return edks.length === 1 ? edks[0]! : edks;
    },

    async decryptDataKey(request): Promise<Uint8Array | undefined> {
      const edk = request.encryptedDataKey;
      if (edk.providerId !== KMS_PROVIDER_ID) return undefined;
      let edkArn: string;
      try {
        edkArn = new TextDecoder('utf-8', { fatal: true }).decode(edk.providerInfo);
      } catch {
        return undefined;
      }
      const keyId = decryptKeyFor(edkArn);
      if (keyId === undefined) return undefined;
      // A client provider that declines the Region (limitRegions/excludeRegions) means "not mine".
      const client = clientFor(keyId);
      if (client === undefined) return undefined;
      const out = await call<{ KeyId?: string; Plaintext?: Uint8Array }>(
        'Decrypt',
        keyId,
        new DecryptCommand({
          KeyId: keyId,
          CiphertextBlob: edk.ciphertext,
          EncryptionContext: { ...request.encryptionContext },
          ...(grantTokens && { GrantTokens: grantTokens }),
        }),
        request.abortSignal,
        client,
      );
      // spec: aws-kms-keyring.md#ondecrypt — the response KeyId must be the key we asked for.
      if (out.KeyId !== keyId || !(out.Plaintext instanceof Uint8Array) || out.Plaintext.length !== request.suite.keyLength) {
        out.Plaintext?.fill(0);
        throw new StrongroomError('PROVIDER_ERROR', `KMS Decrypt answered for key ${String(out.KeyId)} instead of ${keyId}, or with a wrong-length key`);
      }
      return out.Plaintext;
    },
  };
}
