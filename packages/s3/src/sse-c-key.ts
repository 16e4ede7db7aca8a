/**
 * An SSE-C key from a Strongroom key backend: `generateSseCKey(provider)` asks the provider for a
 * fresh 256-bit data key (KMS GenerateDataKey, HSM random + wrap, …) and returns it with its base64
 * MD5 and a wrapped copy to store; `recoverSseCKey` unwraps a stored copy (and checks it against the
 * MD5 S3 knows the key by, in constant time); `sseCParams` / `sseCCopySourceParams` are the request
 * fields S3 checks (algorithm `AES256`, base64 key, base64 MD5 of the key). Where the wrapped copy is
 * stored, and the object operations that use it: ./sse-c.ts.
 * Reference: Amazon S3 User Guide, "Using server-side encryption with customer-provided keys (SSE-C)".
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { malformed, StrongroomError, SUITES, type EncryptedDataKey, type EncryptionContext, type KeyProvider } from '@strongroom/core';
import { decodeBase64 } from './strict';

const MAX_WRAPPED_BYTES = 4096;

/** An SSE-C key: the key (for the SSE-C headers), its wrapped copy to store, and the encryption context bound to it. */
export interface SseCKey {
  /** The 256-bit key. Owned by the caller: wipe with `key.fill(0)` when done. */
  readonly key: Uint8Array;
  /** base64 of the key: the value for `SSECustomerKey`. */
  readonly keyBase64: string;
  /** base64 MD5 of the key: the value for `SSECustomerKeyMD5`. */
  readonly keyMD5: string;
  /** The key wrapped by the provider, serialized (base64, ASCII) for storage. */
  readonly wrappedKey: string;
  /** The encryption context the wrapped key is bound to (needed to unwrap). */
  readonly encryptionContext: EncryptionContext;
}

/** Options of SSE-C key generation: encryption context, abort signal. */
export interface SseCOptions {
  readonly encryptionContext?: EncryptionContext;
  readonly abortSignal?: AbortSignal;
}

const SUITE_256 = SUITES.get(0x0078)!;

function md5b64(key: Uint8Array): string {
  return createHash('md5').update(key).digest('base64');
}

/** Serialize an EDK: version 1 ‖ (u16 length ‖ bytes) × {providerId, providerInfo, ciphertext}. */
function serializeEdk(edk: EncryptedDataKey): string {
  const id = Buffer.from(edk.providerId, 'utf8');
  const parts = [id, edk.providerInfo, edk.ciphertext];
  const out: Buffer[] = [Buffer.of(1)];
  for (const p of parts) {
    if (p.length > 0xffff) throw new StrongroomError('LIMIT_EXCEEDED', 'wrapped SSE-C key field too long');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(p.length);
    out.push(len, Buffer.from(p.buffer, p.byteOffset, p.byteLength));
  }
  const bytes = Buffer.concat(out);
  if (bytes.length > MAX_WRAPPED_BYTES) throw new StrongroomError('LIMIT_EXCEEDED', 'wrapped SSE-C key is too large to store');
  return bytes.toString('base64');
}

function parseEdk(wrapped: string): EncryptedDataKey {
  const bytes = Buffer.from(decodeBase64(wrapped, 'wrapped SSE-C key', 7, MAX_WRAPPED_BYTES));
  if (bytes[0] !== 1) throw malformed('wrapped SSE-C key: unknown version');
  let off = 1;
  const field = (): Buffer => {
    if (off + 2 > bytes.length) throw malformed('wrapped SSE-C key: truncated');
    const len = bytes.readUInt16BE(off);
    off += 2;
    if (off + len > bytes.length) throw malformed('wrapped SSE-C key: truncated');
    const v = bytes.subarray(off, off + len);
    off += len;
    return v;
  };
  const id = field();
  const providerInfo = new Uint8Array(field());
  const ciphertext = new Uint8Array(field());
  if (off !== bytes.length) throw malformed('wrapped SSE-C key: trailing bytes');
  let providerId: string;
  try {
    providerId = new TextDecoder('utf-8', { fatal: true }).decode(id);
  } catch {
    throw malformed('wrapped SSE-C key: provider id is not UTF-8');
  }
  if (ciphertext.length === 0) throw malformed('wrapped SSE-C key: empty ciphertext');
  return { providerId, providerInfo, ciphertext };
}

function keyOf(key: Uint8Array, wrappedKey: string, encryptionContext: EncryptionContext): SseCKey {
  return { key, keyBase64: Buffer.from(key).toString('base64'), keyMD5: md5b64(key), wrappedKey, encryptionContext: { ...encryptionContext } };
}

/**
 * Generate an SSE-C key with the provider's backend (HSM random number generator, KMS data key, …).
 * @example
 * const k = await generateSseCKey(hsmProvider, { encryptionContext: { bucket: 'b' } });
 * await putObjectSseC(s3, { Bucket: 'b', Key: 'k', Body: data }, k);
 * @throws StrongroomError PROVIDER_ERROR when the backend returns a key of the wrong length; provider errors pass through.
 */
export async function generateSseCKey(provider: KeyProvider, options: SseCOptions = {}): Promise<SseCKey> {
  const encryptionContext = options.encryptionContext ?? {};
  const g = await provider.generateDataKey({ suite: SUITE_256, encryptionContext, abortSignal: options.abortSignal });
  if (g.plaintextKey.length !== 32) {
    g.plaintextKey.fill(0);
    throw new StrongroomError('PROVIDER_ERROR', 'the key provider returned an SSE-C key that is not 256 bits');
  }
  return keyOf(g.plaintextKey, serializeEdk(g.encryptedDataKey), encryptionContext);
}

/**
 * Recover an SSE-C key from its wrapped copy with any of `providers`.
 * @param stored the wrapped key and its encryption context; when `keyMD5` is given (from the sidecar),
 *   the recovered key must match it.
 * @throws StrongroomError NO_DECRYPTION_KEY, MALFORMED, AUTHENTICATION_FAILED (MD5 mismatch).
 */
export async function recoverSseCKey(
  providers: KeyProvider | readonly KeyProvider[],
  stored: { wrappedKey: string; encryptionContext?: EncryptionContext; keyMD5?: string },
  options: { abortSignal?: AbortSignal } = {},
): Promise<SseCKey> {
  const list = Array.isArray(providers) ? providers : [providers as KeyProvider];
  const edk = parseEdk(stored.wrappedKey);
  const encryptionContext = stored.encryptionContext ?? {};
  const errors: unknown[] = [];
  for (const p of list) {
    try {
      const key = await p.decryptDataKey({ suite: SUITE_256, encryptionContext, encryptedDataKey: edk, abortSignal: options.abortSignal });
      if (!key) continue;
      if (key.length !== 32) {
        key.fill(0);
        throw new StrongroomError('AUTHENTICATION_FAILED', 'recovered SSE-C key is not 256 bits');
      }
      const out = keyOf(key, stored.wrappedKey, encryptionContext);
      if (stored.keyMD5 !== undefined) {
        const a = Buffer.from(out.keyMD5);
        const b = Buffer.from(stored.keyMD5);
        if (a.length !== b.length || !timingSafeEqual(a, b)) {
          key.fill(0);
          throw new StrongroomError('AUTHENTICATION_FAILED', 'recovered SSE-C key does not match its stored MD5');
        }
      }
      return out;
    } catch (error) {
      errors.push(error);
    }
  }
  throw new StrongroomError('NO_DECRYPTION_KEY', 'no key provider could unwrap the SSE-C key', errors.length ? { cause: errors.length === 1 ? errors[0] : new AggregateError(errors) } : {});
}

/** The request fields for SSE-C (the SDK turns them into the three x-amz-server-side-encryption-customer-* headers). */
export function sseCParams(key: SseCKey) {
  return { SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.keyBase64, SSECustomerKeyMD5: key.keyMD5 } as const;
}

/** The copy-source SSE-C fields (for CopyObject / UploadPartCopy of an SSE-C source). */
export function sseCCopySourceParams(key: SseCKey) {
  return {
    CopySourceSSECustomerAlgorithm: 'AES256',
    CopySourceSSECustomerKey: key.keyBase64,
    CopySourceSSECustomerKeyMD5: key.keyMD5,
  } as const;
}
