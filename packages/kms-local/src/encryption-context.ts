/**
 * Canonical serialization of a KMS encryption context, used as AES-GCM additional authenticated
 * data (an exact, case-sensitive match on decrypt where only the order may differ:
 * https://docs.aws.amazon.com/kms/latest/developerguide/encrypt_context.html).
 *
 * Entries are sorted by the UTF-8 bytes of their keys and written length-prefixed
 * (`count:u16 ‖ (keyLen:u16 ‖ key ‖ valueLen:u16 ‖ value)*`), so no two different contexts
 * serialize the same — unlike separator-free concatenation (nsmithuk/local-kms `src/cmk/aes_encryption.go`).
 */
import { validation } from './errors';

const MAX_CONTEXT_BYTES = 8192;

/** The canonical, unambiguous bytes of an encryption context, used as AES-GCM additional data. */
export function serializeEncryptionContext(context: Readonly<Record<string, string>> | undefined): Buffer {
  const entries = Object.entries(context ?? {}).map(([k, v]) => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')] as const);
  entries.sort((a, b) => Buffer.compare(a[0], b[0]));
  let size = 2;
  for (const [k, v] of entries) size += 4 + k.length + v.length;
  if (size > MAX_CONTEXT_BYTES || entries.length > 0xffff) throw validation('EncryptionContext is too large');
  const out = Buffer.allocUnsafe(size);
  let off = out.writeUInt16BE(entries.length, 0);
  for (const [k, v] of entries) {
    off = out.writeUInt16BE(k.length, off);
    off += k.copy(out, off);
    off = out.writeUInt16BE(v.length, off);
    off += v.copy(out, off);
  }
  return out;
}
