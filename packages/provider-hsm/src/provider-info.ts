/**
 * The HSM provider's `providerInfo`: which HSM, which exact key, which IV.
 *
 * Version 2 (written whenever the backend names keys by a stable handle and owner, as the
 * hsm-local cluster does) names the exact key that wrapped the data key, so decryption never
 * resolves a label again: a label can later point at another key (a duplicate from a retried
 * creation, a rotation, a key planted by another user), a handle and its owner cannot.
 * Version 1 (label only) is still read, and written for PKCS#11 modules, whose object handles
 * are not stable across sessions.
 *
 * All integers big-endian; strings UTF-8, length-prefixed:
 *
 * | bytes | field                                                  |
 * | ----- | ------------------------------------------------------ |
 * | 1     | format version = 0x01 or 0x02                          |
 * | 2 + B | backend id (1…255 bytes: cluster id / token serial)    |
 * | 2 + L | key label (1…256 bytes)                                |
 * | 2 + H | v2 only: key handle (1…64 bytes)                       |
 * | 2 + O | v2 only: key owner, the crypto user (1…64 bytes)       |
 * | 1     | GCM tag length in bytes = 16                           |
 * | 1     | IV length in bytes = 12                                |
 * | 12    | IV                                                     |
 *
 * The parser is strict: the version, every length and the total size must match exactly, strings
 * must be valid (and shortest-form) UTF-8, and nothing may trail.
 */
import { StrongroomError } from '@strongroom/core';

export const PROVIDER_INFO_VERSION = 2;
export const MAX_KEY_HANDLE_BYTES = 64;
export const MAX_KEY_OWNER_BYTES = 64;
export const MAX_BACKEND_ID_BYTES = 255;
export const MAX_KEY_LABEL_BYTES = 256;
const TAG_LENGTH = 16;
const IV_LENGTH = 12;

/**
 * The fields of an `HsmKeyProvider` encrypted data key's provider info (docs/hsm-provider.md#hsmkeyprovider-format).
 */
export interface HsmProviderInfo {
  readonly backendId: string;
  readonly keyLabel: string;
  /** Version 2: the exact key (handle and owning user) that wrapped the data key. */
  readonly keyHandle?: string | undefined;
  readonly keyOwner?: string | undefined;
  readonly iv: Uint8Array;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// UTF-8 by Buffer.from, not TextEncoder: for strings this short, on every data key, it costs a fifth.
function encodeField(value: string, what: string, max: number): Uint8Array {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length === 0 || bytes.length > max) throw new StrongroomError('INVALID_ARGUMENT', `${what}: must be 1…${max} UTF-8 bytes`);
  return bytes;
}

/**
 * Version 2 when `keyHandle` and `keyOwner` are given, else version 1.
 * @throws StrongroomError `INVALID_ARGUMENT` when a field is empty, too long, or the IV is not 12 bytes.
 */
export function encodeProviderInfo(info: HsmProviderInfo): Uint8Array {
  const fields = [encodeField(info.backendId, 'backendId', MAX_BACKEND_ID_BYTES), encodeField(info.keyLabel, 'keyLabel', MAX_KEY_LABEL_BYTES)];
  const exact = info.keyHandle !== undefined || info.keyOwner !== undefined;
  if (exact) {
    fields.push(encodeField(info.keyHandle ?? '', 'keyHandle', MAX_KEY_HANDLE_BYTES), encodeField(info.keyOwner ?? '', 'keyOwner', MAX_KEY_OWNER_BYTES));
  }
  if (!(info.iv instanceof Uint8Array) || info.iv.length !== IV_LENGTH) {
    throw new StrongroomError('INVALID_ARGUMENT', `iv: must be ${IV_LENGTH} bytes`);
  }
  const out = new Uint8Array(1 + fields.reduce((n, f) => n + 2 + f.length, 0) + 2 + IV_LENGTH);
  let pos = 0;
  out[pos++] = exact ? 2 : 1;
  for (const f of fields) {
    out[pos] = f.length >>> 8;
    out[pos + 1] = f.length;
    out.set(f, pos + 2);
    pos += 2 + f.length;
  }
  out[pos++] = TAG_LENGTH;
  out[pos++] = IV_LENGTH;
  out.set(info.iv, pos);
  return out;
}

function readString(bytes: Uint8Array, what: string): string {
  let value: string;
  try {
    value = decoder.decode(bytes);
  } catch (error) {
    throw new StrongroomError('MALFORMED', `HSM provider info: ${what} is not valid UTF-8`, { cause: error });
  }
  // TextDecoder replaces nothing in fatal mode, but re-encoding also rejects anything that
  // would not round-trip byte-for-byte.
  if (!Buffer.from(value, 'utf8').equals(bytes)) {
    throw new StrongroomError('MALFORMED', `HSM provider info: ${what} is not canonical UTF-8`);
  }
  return value;
}

/** @throws StrongroomError `MALFORMED` for anything but an exact version-1 or version-2 encoding. */
export function parseProviderInfo(bytes: Uint8Array): HsmProviderInfo {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('providerInfo: expected a Uint8Array');
  const version = bytes[0];
  if (version !== 1 && version !== 2) {
    throw new StrongroomError('MALFORMED', `HSM provider info: unknown format version ${bytes[0]}`);
  }
  const limits: Array<[string, number]> = [['backend id', MAX_BACKEND_ID_BYTES], ['key label', MAX_KEY_LABEL_BYTES]];
  if (version === 2) limits.push(['key handle', MAX_KEY_HANDLE_BYTES], ['key owner', MAX_KEY_OWNER_BYTES]);
  const max = 1 + limits.reduce((n, [, m]) => n + 2 + m, 0) + 2 + IV_LENGTH;
  if (bytes.length < 1 + limits.length * 3 + 2 + IV_LENGTH || bytes.length > max) {
    throw new StrongroomError('MALFORMED', `HSM provider info: ${bytes.length} bytes is outside the valid range`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 1;
  const values: string[] = [];
  for (const [what, maxLength] of limits) {
    if (pos + 2 > bytes.length) throw new StrongroomError('MALFORMED', `HSM provider info: truncated before the ${what}`);
    const length = view.getUint16(pos);
    pos += 2;
    if (length === 0 || length > maxLength || pos + length + 2 + IV_LENGTH > bytes.length) {
      throw new StrongroomError('MALFORMED', `HSM provider info: bad ${what} length`);
    }
    values.push(readString(bytes.subarray(pos, pos + length), what));
    pos += length;
  }
  if (pos + 2 + IV_LENGTH !== bytes.length) throw new StrongroomError('MALFORMED', 'HSM provider info: bad total length');
  if (bytes[pos] !== TAG_LENGTH || bytes[pos + 1] !== IV_LENGTH) {
    throw new StrongroomError('MALFORMED', `HSM provider info: unsupported tag/IV length ${bytes[pos]}/${bytes[pos + 1]}`);
  }
  pos += 2;
  const [backendId, keyLabel, keyHandle, keyOwner] = values as [string, string, string?, string?];
  const iv = bytes.slice(pos, pos + IV_LENGTH);
  return version === 2 ? { backendId, keyLabel, keyHandle, keyOwner, iv } : { backendId, keyLabel, iv };
}
