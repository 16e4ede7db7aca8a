/**
 * The client's random-access methods for framed messages, with a synchronous backend:
 * createFramedSealer (seal the frames of one message in any order), openFramed (authenticate a header,
 * then open any frame on its own) and rewrapHeader (the same data key under other providers, the body
 * unchanged). Frames and header tags are built and checked by ./frame.ts and ./header-auth.ts, the
 * same code the streaming encoder and decoder use.
 * spec: data-format/message-body.md#framed-data, data-format/message-header.md, client-apis/decrypt.md.
 */
import type { CryptoBackend } from './backend';
import { concatBytes } from './bytes';
import type { ClientCore, DecryptOptions, EncryptOptions } from './client-core';
import { StrongroomError, throwIfAborted } from './errors';
import { FRAMED_SUITE_ID } from './suites';
import { framedMessage, type FramedMessage } from './framed-open';
import { framedSealer, type FramedSealer } from './framed-seal';
import { CONTENT_FRAMED, type ParsedHeader, tryParseHeader } from './header';
import { sealHeader, verifyHeader } from './header-auth';
import type { EncryptedDataKey, KeyProvider } from './key-provider';

export { FRAMED_SUITE_ID };

/** Options of `client.rewrapHeader`: decrypt's options and the providers that wrap the data key from now on. */
export interface RewrapHeaderOptions extends DecryptOptions {
  /** Every one wraps the data key; the new header holds only their EDKs. */
  readonly keyProviders: readonly KeyProvider[];
}

/** The random-access methods of the Node client (see `StrongroomClient`). */
export interface FramedClientMethods {
  createFramedSealer(options?: EncryptOptions): Promise<FramedSealer>;
  openFramed(headerBytes: Uint8Array, options?: DecryptOptions): Promise<FramedMessage>;
  rewrapHeader(headerBytes: Uint8Array, options: RewrapHeaderOptions): Promise<Uint8Array>;
}

/** The whole header at the start of `headerBytes` (MALFORMED, saying how many bytes, when incomplete). */
export function parseWhole(headerBytes: Uint8Array, what: string, maxEncryptedDataKeys: number): ParsedHeader {
  if (!(headerBytes instanceof Uint8Array)) throw new StrongroomError('INVALID_ARGUMENT', `${what}: headerBytes must be a Uint8Array`);
  const parsed = tryParseHeader(headerBytes, { maxEncryptedDataKeys });
  if (typeof parsed === 'number') {
    throw new StrongroomError('MALFORMED', `${what}: the header is incomplete; pass at least ${parsed} bytes`, { details: { need: parsed } });
  }
  return parsed;
}

/** A client may seal framed messages frame by frame only with suite 0x0478 and frames. */
export function checkSealable(suite: { id: number; name: string }, frameLength: number): void {
  if (suite.id !== FRAMED_SUITE_ID || frameLength === 0) {
    throw new StrongroomError(
      'UNSUPPORTED',
      `Framed random access needs suite 0x0478 (committing, unsigned) and frameLength above 0; this client has ${suite.name}, frameLength ${frameLength}`,
    );
  }
}

/** The parsed header of a message `openFramed` can open: suite 0x0478, framed, frames within the limit. */
export function openableHeader(headerBytes: Uint8Array, maxEncryptedDataKeys: number, maxFrameLength: number): ParsedHeader {
  const parsed = parseWhole(headerBytes, 'openFramed', maxEncryptedDataKeys);
  const { header } = parsed;
  if (header.suite.id !== FRAMED_SUITE_ID || header.contentType !== CONTENT_FRAMED) {
    throw new StrongroomError(
      'UNSUPPORTED',
      `openFramed reads framed messages of suite 0x0478 only; this one is ${header.suite.name}, ${header.contentType === CONTENT_FRAMED ? 'framed' : 'non-framed'}`,
    );
  }
  if (header.frameLength > maxFrameLength) {
    throw new StrongroomError('LIMIT_EXCEEDED', `The message's frame length ${header.frameLength} exceeds maxFrameLength ${maxFrameLength}`);
  }
  return parsed;
}

/** The random-access methods over a client's core (options, providers, cache) and synchronous backend. */
export function framedClientMethods(core: ClientCore, backend: CryptoBackend): FramedClientMethods {
  const { suite, frameLength, maxEncryptedDataKeys, maxFrameLength } = core;

  async function createFramedSealer(encryptOptions: EncryptOptions = {}): Promise<FramedSealer> {
    checkSealable(suite, frameLength);
    return core.withMaterials(encryptOptions, encryptOptions.plaintextLength, false, (materials) => framedSealer(backend, { backend, frameLength, ...materials }));
  }

  async function openFramed(headerBytes: Uint8Array, decryptOptions: DecryptOptions = {}): Promise<FramedMessage> {
    const opening = core.opening(decryptOptions);
    const parsed = openableHeader(headerBytes, maxEncryptedDataKeys, maxFrameLength);
    const { header } = parsed;
    let key: Uint8Array | undefined;
    const encryptionContext = await core.withDataKey(parsed, opening, (dataKey, aad) => void (key = verifyHeader(backend, parsed, dataKey, aad)));
    return framedMessage({ backend, header, headerLength: parsed.length, encryptionContext, key: key! });
  }

  async function rewrapHeader(headerBytes: Uint8Array, rewrapOptions: RewrapHeaderOptions): Promise<Uint8Array> {
    const targets = rewrapOptions?.keyProviders;
    if (!Array.isArray(targets) || targets.length === 0) throw new StrongroomError('INVALID_ARGUMENT', 'rewrapHeader: keyProviders must name at least one provider');
    const opening = core.opening(rewrapOptions);
    const parsed = parseWhole(headerBytes, 'rewrapHeader', maxEncryptedDataKeys);
    const { header } = parsed;
    // A signed message's signature covers the header: a new header would need the signing key.
    if (header.version !== 2 || header.suite.signature) throw new StrongroomError('UNSUPPORTED', `rewrapHeader: only unsigned version 2 messages can be re-wrapped (this one is ${header.suite.name})`);
    let key: Uint8Array | undefined;
    let dataKey: Uint8Array | undefined;
    let tail: Uint8Array = new Uint8Array(0);
    try {
      const full = await core.withDataKey(parsed, opening, (dk, aad) => {
        key = verifyHeader(backend, parsed, dk, aad);
        dataKey = Uint8Array.from(dk);
        tail = aad;
      });
      const edks: EncryptedDataKey[] = [];
      for (const provider of targets) {
        throwIfAborted(rewrapOptions.abortSignal);
        edks.push(...[await provider.encryptDataKey({ suite: header.suite, encryptionContext: full, plaintextKey: dataKey!, abortSignal: rewrapOptions.abortSignal })].flat());
      }
      if (edks.length > maxEncryptedDataKeys) throw new StrongroomError('LIMIT_EXCEEDED', `rewrapHeader: ${edks.length} encrypted data keys exceed maxEncryptedDataKeys ${maxEncryptedDataKeys}`);
      return concatBytes(sealHeader(backend, { header: { ...header, encryptedDataKeys: edks }, key: key!, headerAadTail: tail }));
    } finally {
      key?.fill(0);
      dataKey?.fill(0);
    }
  }

  return { createFramedSealer, openFramed, rewrapHeader };
}
