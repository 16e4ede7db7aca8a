/**
 * Key URI → KeyProvider (docs/cli.md#key-uris). The dev config supplies endpoints and credentials;
 * without one, `kms://` uses the AWS SDK's default credential chain and Region (real AWS KMS).
 *
 * Each opened provider owns its connections: call `close()`.
 */
import { DescribeCustomKeyStoresCommand, DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { RawAesKeyProvider, StrongroomError, type KeyProvider } from '@strongroom/core';
import { HsmKeyProvider, hsmKeyProviderFromConfig, type HsmBackend } from '@strongroom/provider-hsm';
import { KmsKeyProvider, type KmsClientLike } from '@strongroom/provider-kms';
import { CustomKeyStoreKeyProvider } from '@strongroom/provider-custom-key-store';
import { cksUnavailable } from './cks';
import { connectDevHsm, kmsClientFor } from './clients';
import type { DevConfig } from './dev-config';
import { cliKmsRetry, sendKms } from './kms-call';
import { parseKeyUri, type KeyUri } from './key-uri';
import { readSecretFile } from './secret-input';

/** Environment variable that can hold a `raw-aes://` key (base64 or hex), instead of a key file. */
export const RAW_AES_KEY_ENV = 'STRONGROOM_RAW_AES_KEY';

/** A key provider opened from a key URI, with its backend request counter; `close()` releases its connections. */
export interface OpenedProvider {
  readonly uri: KeyUri;
  readonly provider: KeyProvider;
  /** kms:// and cks://: the key ARN (S3 kms+context objects need it to decrypt). */
  readonly kmsKeyArn?: string;
  /** Backend requests made so far (KMS API calls, HSM operations). */
  backendCalls(): number;
  /** Release the backend connections (HSM sessions, KMS clients). */
  close(): Promise<void>;
}

/** Where {@link keyProviderFromUri} finds what a key URI needs: the dev config, a raw key file, the environment. */
export interface ProviderOptions {
  /** The dev config; needed for hsm:// and cks://, optional for kms://. */
  config?: DevConfig | undefined;
  /** raw-aes://: a file holding the key (raw 16/24/32 bytes, or that many bytes as base64 or hex text). */
  rawKeyFile?: string | undefined;
  env?: Readonly<Record<string, string | undefined>>;
  abortSignal?: AbortSignal;
}

function needConfig(config: DevConfig | undefined, what: string): DevConfig {
  if (!config) {
    throw new StrongroomError('KEY_UNAVAILABLE', `${what} keys need the dev config; start \`strongroom dev\` or pass --config`, { details: { reason: 'NO_CONFIG' } });
  }
  return config;
}

/** Decode raw AES key bytes from a file's contents or an env value: hex, base64, or raw bytes. */
export function decodeRawKey(bytes: Uint8Array, where: string): Uint8Array {
  const text = Buffer.from(bytes).toString('latin1').trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{48}$|^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, 'hex');
  else if (/^[A-Za-z0-9+/]{20,}={0,2}$/.test(text)) key = Buffer.from(text, 'base64');
  if (key && [16, 24, 32].includes(key.length)) return new Uint8Array(key);
  if ([16, 24, 32].includes(bytes.length)) return new Uint8Array(bytes);
  throw new StrongroomError('INVALID_ARGUMENT', `${where}: expected a 128/192/256-bit AES key (raw bytes, base64 or hex)`);
}

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

/** An HsmBackend proxy that counts operations (not metadata reads or close). */
export function countingHsmBackend(backend: HsmBackend): {
  readonly backend: HsmBackend;
  /** Operations counted so far. */
  calls: () => number;
} {
  let n = 0;
  const skip = new Set(['close', 'id', 'kind', 'capabilities', 'then']);
  const proxy = new Proxy(backend, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || typeof prop !== 'string' || skip.has(prop)) return v;
      return (...args: unknown[]) => {
        n++;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { backend: proxy, calls: () => n };
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

/**
 * Open the key a URI names.
 * @example
 * const { provider, close } = await keyProviderFromUri('hsm://strongroom-dev-kek', { config: loadDevConfig() });
 * @throws StrongroomError INVALID_ARGUMENT (bad URI, missing raw key), KEY_UNAVAILABLE (no such key,
 *   no config), UNSUPPORTED (cks before issue 6), ACCESS_DENIED / PROVIDER_ERROR from the backend.
 */
export async function keyProviderFromUri(input: string | KeyUri, options: ProviderOptions = {}): Promise<OpenedProvider> {
  const uri = typeof input === 'string' ? parseKeyUri(input) : input;
  const env = options.env ?? process.env;
  switch (uri.kind) {
    case 'raw-aes': {
      let key: Uint8Array;
      if (options.rawKeyFile) {
        const bytes = readSecretFile(options.rawKeyFile, '--key-file'); // warns when others may read it
        if (bytes.length > 4096) throw new StrongroomError('INVALID_ARGUMENT', `key file ${options.rawKeyFile} is too large for an AES key`);
        key = decodeRawKey(bytes, `key file ${options.rawKeyFile}`);
        bytes.fill(0);
      } else if (env[RAW_AES_KEY_ENV]) {
        key = decodeRawKey(Buffer.from(env[RAW_AES_KEY_ENV]!, 'latin1'), `env ${RAW_AES_KEY_ENV}`);
      } else {
        throw new StrongroomError('INVALID_ARGUMENT', `raw-aes keys need --key-file FILE or env ${RAW_AES_KEY_ENV} (base64)`, { details: { reason: 'NO_RAW_KEY' } });
      }
      const provider = RawAesKeyProvider({ namespace: uri.namespace, name: uri.name, key });
      key.fill(0);
      return { uri, provider, backendCalls: () => 0, close: async () => {} };
    }
    case 'kms': {
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
    case 'cks': {
      const config = needConfig(options.config, 'cks://');
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
    case 'hsm': {
      const config = needConfig(options.config, 'hsm://');
      const raw = await connectDevHsm(config, options.abortSignal ? { abortSignal: options.abortSignal } : {});
      try {
        if (!(await raw.findKey({ label: uri.label, class: 'secret' }))) {
          throw new StrongroomError('KEY_UNAVAILABLE', `no HSM key labelled "${uri.label}"; create one with \`strongroom hsm keys create --label ${uri.label}\``);
        }
        const c = countingHsmBackend(raw);
        const provider = HsmKeyProvider({ backend: c.backend, keyLabel: uri.label });
        return { uri, provider, backendCalls: c.calls, close: () => raw.close() };
      } catch (error) {
        await raw.close();
        throw error;
      }
    }
    case 'pkcs11': {
      const config = needConfig(options.config, 'pkcs11://');
      const section = config.pkcs11;
      if (!section) throw new StrongroomError('KEY_UNAVAILABLE', 'pkcs11:// keys need a "pkcs11" section in the config (docs/hsm-provider.md#configuration-file-hsmkeyproviderfromconfig)');
      const owned = await hsmKeyProviderFromConfig({ pkcs11: section }, { backend: 'pkcs11', label: uri.label, env });
      return { uri, provider: owned, backendCalls: () => 0, close: () => owned.close() };
    }
  }
}
