/**
 * A message's header and header authentication, on both sides. The streaming encoders/decoders of
 * both entries and the random-access framed API (./framed-seal.ts, ./framed-open.ts) all build and
 * check a header's tag inputs here; the synchronous key schedule (newMessage, sealHeader,
 * verifyHeader) is the Node entry's and the framed API's, the web entry derives keys over the async
 * seam (./web-encoder.ts, ./web-decoder.ts) and uses the same inputs and errors.
 * spec: data-format/message-header.md#header-authentication-version-2-0; client-apis/encrypt.md and
 * client-apis/decrypt.md (header AAD = header body ‖ encryption context to only authenticate; the v2
 * key commitment is checked, in constant time, before the content key is derived).
 */
import { type CryptoBackend, transientBytes } from './backend';
import type { Allocate } from './body';
import { concatBytes, fromBase64 } from './bytes';
import { malformed, StrongroomError } from './errors';
import { CONTENT_FRAMED, CONTENT_NON_FRAMED, type MessageHeader, type ParsedHeader, serializeHeaderBody } from './header';
import { commitmentKey, committingPrk, contentKey } from './kdf';
import type { EncryptedDataKey, EncryptionContext } from './key-provider';
import { onlyAuthenticateAad, splitForEncrypt } from './required-context';
import type { AlgorithmSuite } from './suites';

/** What a new message needs from its encryption materials. */
export interface NewMessageInput {
  readonly backend: CryptoBackend;
  readonly suite: AlgorithmSuite;
  /** Not retained: the content key is derived synchronously. */
  readonly dataKey: Uint8Array;
  readonly encryptedDataKeys: readonly EncryptedDataKey[];
  /** The full context, including `aws-crypto-public-key` for signing suites. */
  readonly encryptionContext: EncryptionContext;
  /** Keys of encryptionContext authenticated by the header tag but not stored in the header. */
  readonly requiredEncryptionContextKeys?: readonly string[];
  /** 0 writes a non-framed body. */
  readonly frameLength: number;
}

/** A new message: its header, its content key (the caller owns and wipes it), the header tag AAD tail. */
export interface NewMessage {
  readonly header: MessageHeader;
  readonly key: Uint8Array;
  /** Appended to the header body in the header tag's AAD (zero bytes when nothing is required). */
  readonly headerAadTail: Uint8Array;
}

/** Draw a message id and derive the commitment and content key. */
export function newMessage(input: NewMessageInput): NewMessage {
  const { backend, suite, dataKey, frameLength } = input;
  const messageId = backend.randomBytes(suite.messageVersion === 2 ? 32 : 16);
  const prk = suite.committing ? committingPrk(backend, dataKey, messageId) : undefined;
  const { stored, onlyAuthenticate } = splitForEncrypt(input.encryptionContext, input.requiredEncryptionContextKeys ?? []);
  const header = newHeader(suite, messageId, stored, input.encryptedDataKeys, frameLength, prk ? commitmentKey(backend, prk) : undefined);
  const key = contentKey(backend, suite, dataKey, messageId, prk);
  prk?.fill(0);
  return { header, key, headerAadTail: onlyAuthenticateAad(onlyAuthenticate) };
}

/**
 * The serialized header: header body ‖ (v1: IV ‖) tag, as pieces. The body is written in the
 * backend's transientBytes when it has them: every caller joins these pieces into bytes of its own
 * (the client's output, a stream's coalesced chunk) before any reaches the user.
 */
export function sealHeader(backend: CryptoBackend, message: NewMessage): Uint8Array[] {
  const auth = headerAuth(message.header, message.headerAadTail, transientBytes(backend));
  const { tag } = backend.gcmEncrypt(message.key, auth.iv, auth.aad, []);
  return auth.written(tag);
}

/**
 * Check the key commitment (v2, constant time, before the content key is derived) and the header
 * tag over the raw header body ‖ `onlyAuthenticate`. Returns the content key (the caller owns and
 * wipes it). The data key is not retained.
 */
export function verifyHeader(backend: CryptoBackend, parsed: ParsedHeader, dataKey: Uint8Array, onlyAuthenticate: Uint8Array): Uint8Array {
  const { header } = parsed;
  const prk = header.suite.committing ? committingPrk(backend, dataKey, header.messageId) : undefined;
  if (prk) {
    const expected = commitmentKey(backend, prk);
    const ok = backend.timingSafeEqual(expected, header.commitment!);
    expected.fill(0);
    if (!ok) {
      prk.fill(0);
      throw commitmentFailure();
    }
  }
  const key = contentKey(backend, header.suite, dataKey, header.messageId, prk);
  prk?.fill(0);
  try {
    backend.gcmDecrypt(key, parsed.headerIv, headerAad(parsed, onlyAuthenticate), [], parsed.headerTag);
  } catch (e) {
    key.fill(0);
    throw StrongroomError.isInstance(e, 'AUTHENTICATION_FAILED') ? headerAuthFailure() : e;
  }
  return key;
}

/** The header of a new message (the stored context only: the required pairs are authenticated, not stored). */
export function newHeader(
  suite: AlgorithmSuite,
  messageId: Uint8Array,
  stored: EncryptionContext,
  encryptedDataKeys: readonly EncryptedDataKey[],
  frameLength: number,
  commitment: Uint8Array | undefined,
): MessageHeader {
  return {
    version: suite.messageVersion,
    suite,
    messageId,
    encryptionContext: stored,
    encryptedDataKeys,
    contentType: frameLength === 0 ? CONTENT_NON_FRAMED : CONTENT_FRAMED,
    frameLength,
    commitment,
  };
}

/**
 * The header tag's inputs: the serialized body, a zero IV, and AAD = body ‖ the serialized context
 * the message only authenticates (spec: client-apis/encrypt.md). `written(tag)` is what goes on the
 * wire: body ‖ IV ‖ tag for v1, body ‖ tag for v2.
 */
export function headerAuth(
  header: MessageHeader,
  aadTail: Uint8Array,
  allocate?: Allocate,
): { aad: Uint8Array; iv: Uint8Array; written(tag: Uint8Array): Uint8Array[] } {
  const body = serializeHeaderBody(header, allocate);
  const iv = new Uint8Array(12);
  return {
    aad: aadTail.length === 0 ? body : concatBytes([body, aadTail]),
    iv,
    written: (tag) => (header.version === 1 ? [body, iv, tag] : [body, tag]),
  };
}

/** The header tag's AAD on reading: header body ‖ the serialized context the message only authenticates (spec: client-apis/decrypt.md). */
export function headerAad(parsed: ParsedHeader, onlyAuthenticate: Uint8Array): Uint8Array {
  return onlyAuthenticate.length === 0 ? parsed.headerBody : concatBytes([parsed.headerBody, onlyAuthenticate]);
}

/** What a header-tag failure means, and the next step. */
export function headerAuthFailure(): StrongroomError {
  return new StrongroomError(
    'AUTHENTICATION_FAILED',
    'The message header failed authentication: the message was altered, or it was written with requiredEncryptionContextKeys ' +
      "and decrypt's encryptionContext does not reproduce exactly those pairs (pass every required key with its value, and no other key the message does not store)",
  );
}

/** A wrong key commitment (spec: client-apis/decrypt.md: compared in constant time, before the content key is used). */
export function commitmentFailure(): StrongroomError {
  return new StrongroomError('AUTHENTICATION_FAILED', 'Key commitment does not match: the message was not encrypted with this data key');
}

/** The signing public key of a signed message: SEC1 compressed point, base64 in `aws-crypto-public-key`. */
export function signingPublicKey(header: MessageHeader): Uint8Array {
  const publicKey = header.encryptionContext['aws-crypto-public-key'];
  if (publicKey === undefined) throw malformed('A signed message must carry aws-crypto-public-key in its encryption context');
  return fromBase64(publicKey, 'The aws-crypto-public-key encryption context value');
}
