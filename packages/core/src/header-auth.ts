/**
 * A message's key schedule and header authentication, on both sides. The streaming encoder/decoder
 * and the random-access framed API (./framed-seal.ts, ./framed-open.ts) all start a message here.
 * spec: data-format/message-header.md#header-authentication-version-2-0; client-apis/encrypt.md and
 * client-apis/decrypt.md (header AAD = header body ‖ encryption context to only authenticate; the v2
 * key commitment is checked, in constant time, before the content key is derived).
 */
import type { CryptoBackend } from './backend';
import { concatBytes } from './bytes';
import { StrongroomError } from './errors';
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
  const header: MessageHeader = {
    version: suite.messageVersion,
    suite,
    messageId,
    encryptionContext: stored,
    encryptedDataKeys: input.encryptedDataKeys,
    contentType: frameLength === 0 ? CONTENT_NON_FRAMED : CONTENT_FRAMED,
    frameLength,
    commitment: prk ? commitmentKey(backend, prk) : undefined,
  };
  const key = contentKey(backend, suite, dataKey, messageId, prk);
  prk?.fill(0);
  return { header, key, headerAadTail: onlyAuthenticateAad(onlyAuthenticate) };
}

/** The serialized header: header body ‖ (v1: IV ‖) tag. */
export function sealHeader(backend: CryptoBackend, message: NewMessage): Uint8Array[] {
  const body = serializeHeaderBody(message.header);
  const iv = new Uint8Array(12);
  const aad = message.headerAadTail.length === 0 ? body : concatBytes([body, message.headerAadTail]);
  const { tag } = backend.gcmEncrypt(message.key, iv, aad, []);
  return message.header.version === 1 ? [body, iv, tag] : [body, tag];
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
      throw new StrongroomError('AUTHENTICATION_FAILED', 'Key commitment does not match: the message was not encrypted with this data key');
    }
  }
  const key = contentKey(backend, header.suite, dataKey, header.messageId, prk);
  prk?.fill(0);
  try {
    const aad = onlyAuthenticate.length === 0 ? parsed.headerBody : concatBytes([parsed.headerBody, onlyAuthenticate]);
    backend.gcmDecrypt(key, parsed.headerIv, aad, [], parsed.headerTag);
  } catch (e) {
    key.fill(0);
    if (StrongroomError.isInstance(e, 'AUTHENTICATION_FAILED')) {
      throw new StrongroomError(
        'AUTHENTICATION_FAILED',
        'The message header failed authentication: the message was altered, or it was written with requiredEncryptionContextKeys ' +
          "and decrypt's encryptionContext does not reproduce exactly those pairs (pass every required key with its value, and no other key the message does not store)",
      );
    }
    throw e;
  }
  return key;
}
