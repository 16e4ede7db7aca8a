/**
 * A message's keys and header tag over the async seam (the web entry): the counterpart of
 * ./header-auth.ts's synchronous newMessage / verifyHeader, with the same inputs, checks and errors.
 * The streaming encoder and decoder (./web-encoder.ts, ./web-decoder.ts) and the web entry's
 * random-access framed API (./web-framed.ts) all start a message here.
 * spec: data-format/message-header.md#header-authentication-version-2-0; client-apis/decrypt.md (the
 * v2 key commitment is compared in constant time before the content key is used).
 */
import type { AsyncCryptoBackend, AsyncGcmKey } from './async-backend';
import type { ParsedHeader, MessageHeader } from './header';
import { commitmentFailure, headerAad, headerAuthFailure, newHeader, type NewMessageInput } from './header-auth';
import { messageKeysAsync } from './kdf';
import { StrongroomError } from './errors';
import { onlyAuthenticateAad, splitForEncrypt } from './required-context';

/** A new message over the async seam: its header, its bound content key, the header tag's AAD tail. */
export interface AsyncNewMessage {
  readonly header: MessageHeader;
  readonly key: AsyncGcmKey;
  readonly headerAadTail: Uint8Array;
}

/**
 * Called with the raw content key once it is bound (and, on decrypt, committed), before it is wiped:
 * a caller that hands frames to pool workers copies it there (and wipes its copy).
 */
export type ContentKeyHook = (key: Uint8Array) => void;

/** Draw a message id, derive the commitment and content key (the data key is not retained). */
export async function newMessageAsync(input: Omit<NewMessageInput, 'backend'> & { readonly backend: AsyncCryptoBackend }, onContentKey?: ContentKeyHook): Promise<AsyncNewMessage> {
  const { backend, suite, dataKey, frameLength } = input;
  const messageId = backend.randomBytes(suite.messageVersion === 2 ? 32 : 16);
  const { stored, onlyAuthenticate } = splitForEncrypt(input.encryptionContext, input.requiredEncryptionContextKeys ?? []);
  const { commitment, key } = await messageKeysAsync(backend, suite, dataKey, messageId);
  let gcm: AsyncGcmKey;
  try {
    gcm = await backend.gcmKey(key);
    onContentKey?.(key);
  } finally {
    key.fill(0);
  }
  const header = newHeader(suite, messageId, stored, input.encryptedDataKeys, frameLength, commitment);
  return { header, key: gcm, headerAadTail: onlyAuthenticateAad(onlyAuthenticate) };
}

/**
 * Check the key commitment (constant time, before the content key is used) and the header tag over
 * header body ‖ `onlyAuthenticate`; resolves the bound content key (the caller destroys it). A copy
 * taken by `onContentKey` is the caller's to wipe, also when this rejects.
 */
export async function verifyHeaderAsync(
  backend: AsyncCryptoBackend,
  parsed: ParsedHeader,
  dataKey: Uint8Array,
  onlyAuthenticate: Uint8Array,
  onContentKey?: ContentKeyHook,
): Promise<AsyncGcmKey> {
  const { header } = parsed;
  const { commitment, key } = await messageKeysAsync(backend, header.suite, dataKey, header.messageId);
  let gcm: AsyncGcmKey;
  try {
    const ok = commitment === undefined || backend.timingSafeEqual(commitment, header.commitment!);
    commitment?.fill(0);
    if (!ok) throw commitmentFailure();
    gcm = await backend.gcmKey(key);
    onContentKey?.(key);
  } finally {
    key.fill(0);
  }
  try {
    await gcm.decrypt(parsed.headerIv, headerAad(parsed, onlyAuthenticate), [], parsed.headerTag);
  } catch (e) {
    gcm.destroy();
    throw StrongroomError.isInstance(e, 'AUTHENTICATION_FAILED') ? headerAuthFailure() : e;
  }
  return gcm;
}
