/**
 * Message header: serialization and strict parsing of versions 1 and 2.
 * spec: data-format/message-header.md; framework/structures.md (EDK serialization).
 */
import { type Allocate, freshBytes } from './body';
import { ByteReader, copyBytes, fromUtf8, NEED_MORE, putU16, putU32, utf8 } from './bytes';
import { parseEncryptionContext, serializeEncryptionContext } from './encryption-context';
import { malformed, StrongroomError } from './errors';
import type { EncryptedDataKey, EncryptionContext } from './key-provider';
import { type AlgorithmSuite, getSuite } from './suites';

export const CONTENT_NON_FRAMED = 1;
export const CONTENT_FRAMED = 2;

/** The fields of a message header. */
export interface MessageHeader {
  readonly version: 1 | 2;
  readonly suite: AlgorithmSuite;
  /** 16 bytes (v1) or 32 bytes (v2). */
  readonly messageId: Uint8Array;
  readonly encryptionContext: EncryptionContext;
  readonly encryptedDataKeys: readonly EncryptedDataKey[];
  readonly contentType: typeof CONTENT_NON_FRAMED | typeof CONTENT_FRAMED;
  /** 0 for non-framed content. */
  readonly frameLength: number;
  /** v2 only: the 32-byte key commitment. */
  readonly commitment: Uint8Array | undefined;
}

/** A parsed message header: its fields, serialized body, IV and tag, and length. */
export interface ParsedHeader {
  readonly header: MessageHeader;
  /** The raw header body bytes, authenticated as read (never re-serialized). */
  readonly headerBody: Uint8Array;
  /** v1: the header auth IV (12 bytes). v2: 12 zero bytes. */
  readonly headerIv: Uint8Array;
  readonly headerTag: Uint8Array;
  /** Total bytes consumed: header body + header authentication. */
  readonly length: number;
}

/**
 * The raw bytes of a parsed header's encryption-context and EDK sections, as read: an exact, cheap
 * identity of "which data key, bound to which context" (the decryption cache's key).
 */
export function keySectionOf({ header, headerBody }: ParsedHeader): Uint8Array {
  return headerBody.subarray(bytesBeforeKeySection(header), headerBody.length - bytesAfterKeySection(header));
}

/** A header body's bytes before its key section: version (v1: and type), suite id, message id. */
function bytesBeforeKeySection(h: Pick<MessageHeader, 'version' | 'messageId'>): number {
  return (h.version === 1 ? 2 : 1) + 2 + h.messageId.length;
}

/** After it: content type, frame length; v1 also a reserved u32 and the IV length, v2 the 32-byte commitment. */
function bytesAfterKeySection(h: Pick<MessageHeader, 'version'>): number {
  return h.version === 1 ? 1 + 4 + 1 + 4 : 1 + 4 + 32;
}

export interface HeaderLimits {
  /** Reject messages with more EDKs than this (checked during parse, before any allocation). */
  readonly maxEncryptedDataKeys: number;
}

const ZERO_IV = new Uint8Array(12);

/**
 * The encryption-context and EDK sections, memoized by the identity of the materials that carry
 * them: cached materials are reused for many messages, and these bytes are identical each time.
 * (The SDK builds these arrays and context objects itself and never mutates them.)
 */
const keySections = new WeakMap<readonly EncryptedDataKey[], { context: EncryptionContext; bytes: Uint8Array }>();

/** Write `bytes` after its u16 length at `at`; returns the next offset. The length must fit. */
function putLengthPrefixed(out: Uint8Array, at: number, bytes: Uint8Array): number {
  out.set(bytes, putU16(out, at, bytes.length));
  return at + 2 + bytes.length;
}

/** Refuse a field the format's u16 length (or count) cannot hold. */
function fitsU16(n: number, what: string): void {
  if (n > 0xffff) throw new StrongroomError('INVALID_ARGUMENT', `${what} is ${n}; the format allows at most 65535`);
}

function keySectionBytes(context: EncryptionContext, edks: readonly EncryptedDataKey[]): Uint8Array {
  const hit = keySections.get(edks);
  if (hit && hit.context === context) return hit.bytes;
  const contextBytes = serializeEncryptionContext(context);
  fitsU16(edks.length, 'the number of encrypted data keys');
  const ids = edks.map((edk) => utf8(edk.providerId));
  // Written once at its exact size, like the context (no growing buffer, no DataView).
  let length = 2 + contextBytes.length + 2;
  edks.forEach((edk, i) => {
    fitsU16(ids[i]!.length, 'the byte length of an EDK provider id');
    fitsU16(edk.providerInfo.length, 'the byte length of an EDK provider info');
    fitsU16(edk.ciphertext.length, 'the byte length of an EDK ciphertext');
    length += 6 + ids[i]!.length + edk.providerInfo.length + edk.ciphertext.length;
  });
  const bytes = new Uint8Array(length);
  let at = putLengthPrefixed(bytes, 0, contextBytes);
  at = putU16(bytes, at, edks.length);
  edks.forEach((edk, i) => {
    at = putLengthPrefixed(bytes, at, ids[i]!);
    at = putLengthPrefixed(bytes, at, edk.providerInfo);
    at = putLengthPrefixed(bytes, at, edk.ciphertext);
  });
  keySections.set(edks, { context, bytes });
  return bytes;
}

/**
 * Serialize a header body (everything the header tag authenticates), written once into a buffer of
 * its exact size, from `allocate` (default: fresh bytes; every byte is written).
 */
export function serializeHeaderBody(h: MessageHeader, allocate: Allocate = freshBytes): Uint8Array {
  const keySection = keySectionBytes(h.encryptionContext, h.encryptedDataKeys);
  const v1 = h.version === 1;
  const out = allocate(bytesBeforeKeySection(h) + keySection.length + bytesAfterKeySection(h));
  let at = 0;
  out[at++] = h.version;
  if (v1) out[at++] = 0x80;
  at = putU16(out, at, h.suite.id);
  out.set(h.messageId, at);
  at += h.messageId.length;
  out.set(keySection, at);
  at += keySection.length;
  out[at++] = h.contentType;
  if (v1) {
    at = putU32(out, at, 0); // reserved, zero
    out[at++] = 12; // IV length
  }
  at = putU32(out, at, h.frameLength);
  if (!v1) out.set(h.commitment!, at);
  return out;
}

/**
 * Parse a header at the start of `bytes`. Returns undefined when more bytes are needed; throws a
 * MALFORMED / LIMIT_EXCEEDED error when the bytes can never be a valid header.
 */
export function parseHeader(bytes: Uint8Array, limits: HeaderLimits): ParsedHeader | undefined {
  const result = tryParseHeader(bytes, limits);
  return typeof result === 'number' ? undefined : result;
}

/**
 * As parseHeader, but when more bytes are needed returns the total length the parse needs at least
 * before it can progress — so a streaming decoder retries only then (linear work however the
 * header is chunked, instead of re-parsing the whole prefix on every tiny chunk).
 */
export function tryParseHeader(bytes: Uint8Array, limits: HeaderLimits): ParsedHeader | number {
  const r = new ByteReader(bytes);
  try {
    // spec: message-header.md#version — version byte first; unknown versions are rejected at once.
    const version = r.uint(1);
    if (version !== 1 && version !== 2) throw malformed(`Unsupported message version 0x${version.toString(16).padStart(2, '0')}`);
    if (version === 1) {
      const type = r.uint(1);
      if (type !== 0x80) throw malformed(`Unsupported message type 0x${type.toString(16)}`);
    }
    const suite = getSuite(r.uint(2));
    if (suite.messageVersion !== version) {
      throw malformed(`Algorithm suite 0x${suite.id.toString(16).padStart(4, '0')} is not valid in a version ${version} message`);
    }
    const messageId = copyBytes(r.view_(version === 1 ? 16 : 32));
    const encryptionContext = parseEncryptionContext(r.lengthPrefixed());
    const edkCount = r.uint(2);
    if (edkCount === 0) throw malformed('The header has no encrypted data keys');
    if (edkCount > limits.maxEncryptedDataKeys) {
      throw new StrongroomError(
        'LIMIT_EXCEEDED',
        `The message has ${edkCount} encrypted data keys; maxEncryptedDataKeys is ${limits.maxEncryptedDataKeys}`,
      );
    }
    const encryptedDataKeys: EncryptedDataKey[] = [];
    for (let i = 0; i < edkCount; i++) {
      const providerId = fromUtf8(r.lengthPrefixed(), 'an EDK provider id');
      const providerInfo = copyBytes(r.lengthPrefixed());
      const ciphertext = copyBytes(r.lengthPrefixed());
      encryptedDataKeys.push({ providerId, providerInfo, ciphertext });
    }
    const contentType = r.uint(1);
    if (contentType !== CONTENT_FRAMED && contentType !== CONTENT_NON_FRAMED) {
      throw malformed(`Unknown content type ${contentType}`);
    }
    if (version === 1) {
      // spec: message-header.md#reserved — MUST be 0x00000000.
      if (r.uint(4) !== 0) throw malformed('Header reserved bytes are not zero');
      const ivLength = r.uint(1);
      if (ivLength !== suite.ivLength) throw malformed(`Header IV length ${ivLength} does not match the suite (${suite.ivLength})`);
    }
    const frameLength = r.uint(4);
    if (contentType === CONTENT_NON_FRAMED && frameLength !== 0) throw malformed('A non-framed message must have frame length 0');
    if (contentType === CONTENT_FRAMED && frameLength === 0) throw malformed('A framed message must have a frame length above 0');
    const commitment = version === 2 ? copyBytes(r.view_(32)) : undefined;
    const headerBody = bytes.subarray(0, r.offset);
    const headerIv = version === 1 ? copyBytes(r.view_(12)) : ZERO_IV;
    const headerTag = copyBytes(r.view_(16));
    return {
      header: { version, suite, messageId, encryptionContext, encryptedDataKeys, contentType, frameLength, commitment },
      headerBody,
      headerIv,
      headerTag,
      length: r.offset,
    };
  } catch (e) {
    if (e === NEED_MORE) return r.needed;
    throw e;
  }
}
