/**
 * Key URI → KeyProvider (docs/cli.md#key-uris). The dev config supplies endpoints and credentials;
 * without one, `kms://` uses the AWS SDK's default credential chain and Region (real AWS KMS).
 *
 * Each opened provider owns its connections: call `close()`. kms:// and cks:// (./providers-kms.ts,
 * with the KMS SDK) load only when a URI names them.
 */
import { RawAesKeyProvider, StrongroomError, type KeyProvider } from '@strongroom/core';
import { HsmKeyProvider, hsmKeyProviderFromConfig, type HsmBackend } from '@strongroom/provider-hsm';
import { connectDevHsm } from './clients';
import type { DevConfig } from './dev-config';
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

export function needConfig(config: DevConfig | undefined, what: string): DevConfig {
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
    case 'kms':
      return (await import('./providers-kms')).openKmsKey(uri, options);
    case 'cks':
      return (await import('./providers-kms')).openCksKey(uri, needConfig(options.config, 'cks://'), options);
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
