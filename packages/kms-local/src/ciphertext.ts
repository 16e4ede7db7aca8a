/**
 * The kms-local ciphertext blob for symmetric keys. Opaque to clients (like KMS's own, reference
 * B.3) but versioned and self-describing so Decrypt needs no KeyId:
 *
 * ```
 * 0      u8   format version (0x01)
 * 1      u8   key id length L (1..64), then L bytes of key id (ASCII [A-Za-z0-9-])
 * 2+L    u32  backing-key version (≥ 1) — selects the key material after rotation
 * 6+L    12   AES-GCM IV
 * 18+L   …    AES-256-GCM ciphertext ‖ 16-byte tag
 * ```
 *
 * The header (bytes 0 .. 6+L) is authenticated too: AAD = header ‖ serialized encryption context.
 * Parsing checks the version byte first, every length against hard caps, and never allocates
 * from an untrusted length.
 */
import { invalidCiphertext } from './errors';

/** Version byte of kms-local's ciphertext blobs (docs/kms-local.md#ciphertext-blobs). */
export const CIPHERTEXT_VERSION = 1;
export const IV_LENGTH = 12;
export const TAG_LENGTH = 16;
/** Largest ciphertext blob accepted, as KMS (6144 bytes). */
export const MAX_CIPHERTEXT_BLOB = 6144;
const MAX_KEY_ID = 64;
const KEY_ID = /^[A-Za-z0-9-]+$/;

/** The parts of a ciphertext blob: key id, backing-key version, IV, ciphertext, tag. */
export interface ParsedCiphertext {
  readonly keyId: string;
  readonly version: number;
  /** The bytes bound as the first part of the AAD. */
  readonly header: Buffer;
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

export function encodeHeader(keyId: string, version: number): Buffer {
  if (keyId.length === 0 || keyId.length > MAX_KEY_ID || !KEY_ID.test(keyId)) throw new RangeError('keyId: invalid');
  if (!Number.isInteger(version) || version < 1 || version > 0xffffffff) throw new RangeError('version: invalid');
  const header = Buffer.allocUnsafe(6 + keyId.length);
  header[0] = CIPHERTEXT_VERSION;
  header[1] = keyId.length;
  header.write(keyId, 2, 'latin1');
  header.writeUInt32BE(version, 2 + keyId.length);
  return header;
}

export function encodeCiphertext(header: Buffer, iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): Buffer {
  return Buffer.concat([header, iv, ciphertext, tag]);
}

/** @throws KmsError InvalidCiphertextException for anything that is not a well-formed blob. */
export function parseCiphertext(blob: Uint8Array): ParsedCiphertext {
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (buf.length < 2 || buf.length > MAX_CIPHERTEXT_BLOB) throw invalidCiphertext('The ciphertext is invalid.');
  if (buf[0] !== CIPHERTEXT_VERSION) throw invalidCiphertext('The ciphertext is invalid: unknown format version.');
  const idLen = buf[1]!;
  if (idLen === 0 || idLen > MAX_KEY_ID) throw invalidCiphertext('The ciphertext is invalid.');
  const headerLen = 6 + idLen;
  if (buf.length < headerLen + IV_LENGTH + TAG_LENGTH) throw invalidCiphertext('The ciphertext is invalid: truncated.');
  const keyId = buf.toString('latin1', 2, 2 + idLen);
  if (!KEY_ID.test(keyId)) throw invalidCiphertext('The ciphertext is invalid.');
  const version = buf.readUInt32BE(2 + idLen);
  if (version === 0) throw invalidCiphertext('The ciphertext is invalid.');
  const ivEnd = headerLen + IV_LENGTH;
  return {
    keyId,
    version,
    header: buf.subarray(0, headerLen),
    iv: buf.subarray(headerLen, ivEnd),
    ciphertext: buf.subarray(ivEnd, buf.length - TAG_LENGTH),
    tag: buf.subarray(buf.length - TAG_LENGTH),
  };
}
