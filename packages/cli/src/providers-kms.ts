/**
 * kms:// and cks:// key URIs (./providers.ts loads this module only for them, so that other keys never
 * load the KMS SDK): the key resolved to its ARN, a custom key store checked CONNECTED, and a
 * KmsKeyProvider or CustomKeyStoreKeyProvider that counts its requests.
 */
import { DescribeCustomKeyStoresCommand, DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { StrongroomError } from '@strongroom/core';
import { CustomKeyStoreKeyProvider } from '@strongroom/provider-custom-key-store';
import { KmsKeyProvider, type KmsClientLike } from '@strongroom/provider-kms';
import { cksUnavailable } from './cks';
import type { DevConfig } from './dev-config';
import type { KeyUri } from './key-uri';
import { kmsClientFor } from './kms-client';
import { cliKmsRetry, sendKms } from './kms-call';
import type { OpenedProvider, ProviderOptions } from './providers';

/** A KMS client wrapper that counts requests. */
function counting(client: KMSClient): { client: KmsClientLike; calls: () => number } {
  let n = 0;
  return {
    client: {
      send: (command: unknown, options?: { abortSignal?: AbortSignal }) => {
        n++;
        return client.send(command as Parameters<KMSClient['send']>[0], options ?? {});
      },
    },
    calls: () => n,
  };
}

/** Where kms:// requests go: the dev stack's endpoint (dev.json) or real AWS KMS (no dev config). */
type KmsTarget = 'dev' | 'aws';

/**
 * What is missing when kms:// goes to real AWS KMS and the SDK cannot even sign a request: no Region
 * or no credentials (AWS SDK for JavaScript v3, "Setting the AWS Region" and "Setting credentials in
 * Node.js": https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/). Undefined otherwise.
 */
function awsSetupProblem(error: unknown): string | undefined {
  const name = (error as { name?: string }).name ?? '';
  const message = (error as Error).message ?? '';
  if (/Region is missing/i.test(message)) return 'no AWS Region is set (set AWS_REGION, or a region in ~/.aws/config)';
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return 'no AWS credentials were found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)';
  }
  return undefined;
}

interface KmsKeyInfo {
  readonly arn: string;
  /** Set for a key in a custom key store (DescribeKey KeyMetadata.CustomKeyStoreId). */
  readonly customKeyStoreId?: string;
}

/** Resolve an alias to its key ARN (KmsKeyProvider decrypts strictly by ARN), and its custom key store if any. */
async function describeKmsKey(client: KMSClient, keyId: string, target: KmsTarget, abortSignal?: AbortSignal): Promise<KmsKeyInfo> {
  try {
    const out = await sendKms<{ KeyMetadata?: { Arn?: string; CustomKeyStoreId?: string } }>(client, 'DescribeKey', new DescribeKeyCommand({ KeyId: keyId }), { abortSignal, idempotent: true, keyId });
    const meta = out.KeyMetadata!;
    return { arn: meta.Arn!, ...(meta.CustomKeyStoreId ? { customKeyStoreId: meta.CustomKeyStoreId } : {}) };
  } catch (error) {
    if (StrongroomError.isInstance(error)) throw error; // aborted, or no answer within the deadline
    const name = (error as { name?: string }).name;
    if (name === 'AbortError' || StrongroomError.isInstance(error, 'ABORTED')) throw error;
    if (name === 'NotFoundException') throw new StrongroomError('KEY_UNAVAILABLE', `KMS key ${keyId} does not exist; list keys with \`strongroom kms list-keys\``, { cause: error });
    const isArn = keyId.startsWith('arn:') && keyId.includes(':key/');
    // A key ARN needs no resolving: a caller allowed to use the key but not to describe it may go on.
    if (isArn && name === 'AccessDeniedException') return { arn: keyId };
    if (name === 'AccessDeniedException' || name === 'UnrecognizedClientException' || name === 'InvalidSignatureException') {
      throw new StrongroomError('ACCESS_DENIED', `KMS refused DescribeKey for ${keyId}: ${(error as Error).message}`, { cause: error });
    }
    if (target === 'aws') {
      const missing = awsSetupProblem(error);
      const what = missing ?? `AWS KMS is unreachable (${(error as Error).message})`;
      throw new StrongroomError(
        missing ? 'KEY_UNAVAILABLE' : 'PROVIDER_ERROR',
        `kms:// with no dev config uses real AWS KMS, and ${what}; or start the local stack with \`strongroom dev\` (or pass --config)`,
        { cause: error, details: { reason: missing ? 'NO_AWS_SETUP' : 'AWS_UNREACHABLE' } },
      );
    }
    throw new StrongroomError('PROVIDER_ERROR', `KMS is unreachable (${(error as Error).message})`, { cause: error, details: { reason: 'CONNECTION' } });
  }
}

/**
 * A kms:// key in a custom key store works only while the store is CONNECTED (AWS KMS Developer
 * Guide, "Connecting and disconnecting an AWS CloudHSM key store"). Say so, with the command that
 * reconnects it, before the first GenerateDataKey fails with KMSInvalidStateException.
 */
async function requireConnectedStore(client: KMSClient, keyId: string, storeId: string, target: KmsTarget, abortSignal?: AbortSignal): Promise<void> {
  let state: string | undefined;
  try {
    const out = await sendKms<{ CustomKeyStores?: Array<{ ConnectionState?: string }> }>(client, 'DescribeCustomKeyStores', new DescribeCustomKeyStoresCommand({ CustomKeyStoreId: storeId }), { abortSignal, idempotent: true, keyId: storeId });
    state = out.CustomKeyStores?.[0]?.ConnectionState;
  } catch (error) {
    if (StrongroomError.isInstance(error)) throw error; // aborted, or no answer within the deadline
    return; // no permission to describe the store: let the data-key request say what is wrong
  }
  if (state === undefined || state === 'CONNECTED') return;
  const reconnect = target === 'dev' ? `strongroom kms custom-key-stores connect ${storeId}` : `aws kms connect-custom-key-store --custom-key-store-id ${storeId}`;
  throw new StrongroomError(
    'KEY_UNAVAILABLE',
    `KMS key ${keyId} is in custom key store ${storeId}, which is ${state}; reconnect it with \`${reconnect}\`${target === 'dev' ? ' (a cks:// key URI connects it on demand)' : ''}`,
    { details: { reason: 'CUSTOM_KEY_STORE_DISCONNECTED', customKeyStoreId: storeId, connectionState: state } },
  );
}

/** Open a kms:// key: the dev stack's kms-local with a dev config, else real AWS KMS. */
export async function openKmsKey(uri: Extract<KeyUri, { kind: 'kms' }>, options: ProviderOptions): Promise<OpenedProvider> {
  const target: KmsTarget = options.config ? 'dev' : 'aws';
  const client = options.config ? kmsClientFor(options.config.kms) : new KMSClient({ maxAttempts: 1 });
  try {
    const { arn, customKeyStoreId } = await describeKmsKey(client, uri.keyId, target, options.abortSignal);
    if (customKeyStoreId) await requireConnectedStore(client, uri.keyId, customKeyStoreId, target, options.abortSignal);
    const c = counting(client);
    const region = arn.split(':')[3]!;
    const provider = KmsKeyProvider({ generatorKeyId: arn, clientProvider: () => c.client, region, retry: cliKmsRetry() });
    return { uri, provider, kmsKeyArn: arn, backendCalls: c.calls, close: async () => client.destroy() };
  } catch (error) {
    client.destroy();
    throw error;
  }
}

/** Open a cks:// key: a KMS key in the dev stack's custom key store, connected on demand. */
export async function openCksKey(uri: Extract<KeyUri, { kind: 'cks' }>, config: DevConfig, options: ProviderOptions): Promise<OpenedProvider> {
  if (!config.cks.available) throw cksUnavailable(config.cks.reason);
  const client = kmsClientFor(config.kms);
  try {
    const { arn } = await describeKmsKey(client, uri.keyId, 'dev', options.abortSignal);
    const c = counting(client);
    // connectOnDemand: kms-local starts stores DISCONNECTED after a restart.
    const provider = CustomKeyStoreKeyProvider({ client: c.client, generatorKeyId: arn, region: config.kms.region, connectOnDemand: true, retry: cliKmsRetry() });
    return { uri, provider, kmsKeyArn: arn, backendCalls: c.calls, close: async () => client.destroy() };
  } catch (error) {
    client.destroy();
    throw error;
  }
}
