/**
 * Serialized encryption context, used as the AES-GCM AAD when the HSM wraps a data key — the same
 * bytes the AWS Encryption SDK raw AES keyring authenticates (ESDK spec
 * data-format/message-header.md#key-value-pairs, framework/raw-aes-keyring.md "OnEncrypt").
 *
 * Layout: count(u16) then, sorted by the UTF-8 bytes of the key, key-length(u16) key
 * value-length(u16) value. An empty context serializes to zero bytes (not a zero count).
 */
import { StrongroomError, type EncryptionContext } from '@strongroom/core';

const encoder = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** @throws StrongroomError `ENCRYPTION_CONTEXT` when a key or value exceeds 65535 bytes or the count exceeds 65535. */
export function serializeEncryptionContext(context: EncryptionContext): Uint8Array {
  const entries = Object.entries(context).map(([k, v]) => {
    if (typeof v !== 'string') throw new StrongroomError('ENCRYPTION_CONTEXT', `encryption context value of ${JSON.stringify(k)} is not a string`);
    return [encoder.encode(k), encoder.encode(v)] as const;
  });
  if (entries.length === 0) return new Uint8Array(0);
  if (entries.length > 0xffff) throw new StrongroomError('ENCRYPTION_CONTEXT', 'encryption context has more than 65535 entries');
  entries.sort((x, y) => compareBytes(x[0], y[0]));
  let size = 2;
  for (const [k, v] of entries) {
    if (k.length > 0xffff || v.length > 0xffff) throw new StrongroomError('ENCRYPTION_CONTEXT', 'encryption context key or value longer than 65535 bytes');
    size += 4 + k.length + v.length;
  }
  if (size > 0xffff) throw new StrongroomError('ENCRYPTION_CONTEXT', 'serialized encryption context longer than 65535 bytes');
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint16(0, entries.length);
  let pos = 2;
  for (const [k, v] of entries) {
    view.setUint16(pos, k.length);
    out.set(k, pos + 2);
    pos += 2 + k.length;
    view.setUint16(pos, v.length);
    out.set(v, pos + 2);
    pos += 2 + v.length;
  }
  return out;
}
