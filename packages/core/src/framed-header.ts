/**
 * How many leading bytes of a message its header takes, from a prefix: lets a reader fetch a
 * header of unknown length (e.g. by ranged GETs) before opening the message.
 * spec: data-format/message-header.md (the header's length follows from its own length fields).
 */
import { tryParseHeader } from './header';

/**
 * 0 when `prefix` holds the whole header; else a byte count the prefix must reach before the parse
 * can progress (fetch at least that many and ask again). Throws MALFORMED / LIMIT_EXCEEDED for bytes
 * that can never start a valid header.
 */
export function framedHeaderNeed(prefix: Uint8Array, maxEncryptedDataKeys = 10): number {
  const parsed = tryParseHeader(prefix, { maxEncryptedDataKeys });
  return typeof parsed === 'number' ? Math.max(parsed, prefix.length + 1) : 0;
}
