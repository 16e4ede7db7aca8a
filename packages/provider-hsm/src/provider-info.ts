/**
 * The HSM provider's `providerInfo` (DESIGN.md §3): which HSM, which key, which IV.
 *
 * Layout, version 1 (all integers big-endian):
 *
 * | bytes | field                                            |
 * | ----- | ------------------------------------------------ |
 * | 1     | format version = 0x01                            |
 * | 2     | backend id length B (1…255)                      |
 * | B     | backend id, UTF-8 (cluster id / token serial)    |
 * | 2     | key label length L (1…256)                       |
 * | L     | key label, UTF-8                                 |
 * | 1     | GCM tag length in bytes = 16                     |
 * | 1     | IV length in bytes = 12                          |
 * | 12    | IV                                               |
 *
 * The parser is strict: the version, every length and the total size must match exactly, strings
 * must be valid (and shortest-form) UTF-8, and nothing may trail.
 */
import { StrongroomError } from '@strongroom/core';

export const PROVIDER_INFO_VERSION = 1;
export const MAX_BACKEND_ID_BYTES = 255;
export const MAX_KEY_LABEL_BYTES = 256;
const TAG_LENGTH = 16;
const IV_LENGTH = 12;

export interface HsmProviderInfo {
  readonly backendId: string;
  readonly keyLabel: string;
  readonly iv: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function encodeField(value: string, what: string, max: number): Uint8Array {
  const bytes = encoder.encode(value);
  if (bytes.length === 0 || bytes.length > max) throw new StrongroomError('INVALID_ARGUMENT', `${what}: must be 1…${max} UTF-8 bytes`);
  return bytes;
}

/** @throws StrongroomError `INVALID_ARGUMENT` when a field is empty, too long, or the IV is not 12 bytes. */
export function encodeProviderInfo(info: HsmProviderInfo): Uint8Array {
  const id = encodeField(info.backendId, 'backendId', MAX_BACKEND_ID_BYTES);
  const label = encodeField(info.keyLabel, 'keyLabel', MAX_KEY_LABEL_BYTES);
  if (!(info.iv instanceof Uint8Array) || info.iv.length !== IV_LENGTH) {
    throw new StrongroomError('INVALID_ARGUMENT', `iv: must be ${IV_LENGTH} bytes`);
  }
  const out = new Uint8Array(1 + 2 + id.length + 2 + label.length + 2 + IV_LENGTH);
  const view = new DataView(out.buffer);
  let pos = 0;
  out[pos++] = PROVIDER_INFO_VERSION;
  view.setUint16(pos, id.length);
  out.set(id, pos + 2);
  pos += 2 + id.length;
  view.setUint16(pos, label.length);
  out.set(label, pos + 2);
  pos += 2 + label.length;
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
  const again = encoder.encode(value);
  if (again.length !== bytes.length || again.some((b, i) => b !== bytes[i])) {
    throw new StrongroomError('MALFORMED', `HSM provider info: ${what} is not canonical UTF-8`);
  }
  return value;
}

/** @throws StrongroomError `MALFORMED` for anything but an exact version-1 encoding. */
export function parseProviderInfo(bytes: Uint8Array): HsmProviderInfo {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('providerInfo: expected a Uint8Array');
  const max = 1 + 2 + MAX_BACKEND_ID_BYTES + 2 + MAX_KEY_LABEL_BYTES + 2 + IV_LENGTH;
  if (bytes.length < 1 + 2 + 1 + 2 + 1 + 2 + IV_LENGTH || bytes.length > max) {
    throw new StrongroomError('MALFORMED', `HSM provider info: ${bytes.length} bytes is outside the valid range`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== PROVIDER_INFO_VERSION) {
    throw new StrongroomError('MALFORMED', `HSM provider info: unknown format version ${bytes[0]}`);
  }
  let pos = 1;
  const idLength = view.getUint16(pos);
  pos += 2;
  if (idLength === 0 || idLength > MAX_BACKEND_ID_BYTES || pos + idLength + 2 > bytes.length) {
    throw new StrongroomError('MALFORMED', 'HSM provider info: bad backend id length');
  }
  const backendId = readString(bytes.subarray(pos, pos + idLength), 'backend id');
  pos += idLength;
  const labelLength = view.getUint16(pos);
  pos += 2;
  if (labelLength === 0 || labelLength > MAX_KEY_LABEL_BYTES || pos + labelLength + 2 + IV_LENGTH !== bytes.length) {
    throw new StrongroomError('MALFORMED', 'HSM provider info: bad key label length or total length');
  }
  const keyLabel = readString(bytes.subarray(pos, pos + labelLength), 'key label');
  pos += labelLength;
  if (bytes[pos] !== TAG_LENGTH || bytes[pos + 1] !== IV_LENGTH) {
    throw new StrongroomError('MALFORMED', `HSM provider info: unsupported tag/IV length ${bytes[pos]}/${bytes[pos + 1]}`);
  }
  pos += 2;
  return { backendId, keyLabel, iv: bytes.slice(pos, pos + IV_LENGTH) };
}
