/**
 * The data-key cache identity of a KMS key: which KMS (endpoint), which principal (a keyed
 * fingerprint of its credentials) and which key (the key ARN). An alias or bare key id names
 * different keys in different accounts and over time, so it only counts once KMS has answered with
 * the key ARN it resolved to (the `KeyId` of the GenerateDataKey/Encrypt response; AWS KMS API
 * Reference, GenerateDataKey "Response Elements").
 * The fingerprint is HMAC-SHA-256 keyed with the secret access key (RFC 2104): a caller that only
 * knows another principal's access key id cannot state that principal's identity. It is computed
 * with Web Crypto (W3C Web Cryptography API, HMAC), which Node 20+ and every web runtime have, so
 * the Node and web entries state the same identity for the same principal.
 */
import { instanceIdentity, KEY_FINGERPRINT_LABEL } from '@strongroom/core';
import type { KmsClientLike } from './client-supplier';

interface EndpointLike {
  readonly protocol?: string;
  readonly hostname?: string;
  readonly port?: number | string;
  readonly path?: string;
}

/** The parts of an @aws-sdk/client-kms client configuration this reads (all optional). */
interface KmsConfigLike {
  readonly region?: () => Promise<string>;
  readonly endpoint?: () => Promise<EndpointLike>;
  readonly endpointProvider?: (params: Record<string, unknown>) => { url?: URL };
  readonly useFipsEndpoint?: () => Promise<boolean>;
  readonly useDualstackEndpoint?: () => Promise<boolean>;
  readonly credentials?: () => Promise<{ accessKeyId?: string; secretAccessKey?: string; sessionToken?: string }>;
}

async function endpointOf(config: KmsConfigLike): Promise<string | undefined> {
  if (typeof config.endpoint === 'function') {
    const e = await config.endpoint();
    return `${e.protocol ?? ''}//${e.hostname ?? ''}:${e.port ?? ''}${e.path ?? ''}`;
  }
  if (typeof config.endpointProvider === 'function' && typeof config.region === 'function') {
    const url = config.endpointProvider({
      Region: await config.region(),
      UseFIPS: (await config.useFipsEndpoint?.()) ?? false,
      UseDualStack: (await config.useDualstackEndpoint?.()) ?? false,
    }).url;
    return url?.href;
  }
  return undefined;
}

/**
 * Who and where a client calls: its endpoint and a fingerprint of its credentials. A client that
 * does not expose an SDK configuration (a custom `KmsClientLike`) gets a random identity of its own.
 */
export async function kmsClientIdentity(client: KmsClientLike): Promise<string> {
  const config = (client as { config?: KmsConfigLike }).config;
  if (typeof config === 'object' && config !== null && typeof config.credentials === 'function') {
    const [endpoint, credentials] = await Promise.all([endpointOf(config), config.credentials()]);
    const { accessKeyId, secretAccessKey, sessionToken } = credentials ?? {};
    if (endpoint !== undefined && typeof accessKeyId === 'string' && typeof secretAccessKey === 'string' && secretAccessKey !== '') {
      const principal = await hmacSha256Hex(secretAccessKey, JSON.stringify([KEY_FINGERPRINT_LABEL, accessKeyId, sessionToken ?? null]));
      return JSON.stringify([endpoint, principal]);
    }
  }
  return instanceIdentity(client);
}

/** HMAC-SHA-256 of `data` under `key` (both UTF-8), as lowercase hex. */
async function hmacSha256Hex(key: string, data: string): Promise<string> {
  const utf8 = new TextEncoder();
  const k = await globalThis.crypto.subtle.importKey('raw', utf8.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', k, utf8.encode(data)));
  let hex = '';
  for (const b of mac) hex += b.toString(16).padStart(2, '0');
  return hex;
}
