/**
 * FrameReader: the parsing half of decryption, without any cryptography. A push parser for AWS
 * Encryption SDK messages (versions 1 and 2, framed and non-framed, signed and unsigned) that hands
 * out one sealed frame, or the signature, at a time; a driver (./decoder for a synchronous backend,
 * ./web-decoder for the async seam) authenticates and decrypts them. Sharing it keeps every
 * message-layout check in one place for every runtime.
 * spec: data-format/message-header.md, message-body.md, message-footer.md; client-apis/decrypt.md.
 */
import { bodyAad, FINAL_FRAME_MARKER, MAX_NON_FRAMED_LENGTH } from './body';
import { ByteQueue } from './byte-queue';
import { concatBytes, fromBase64 } from './bytes';
import { malformed, StrongroomError } from './errors';
import { CONTENT_NON_FRAMED, type MessageHeader, type ParsedHeader, tryParseHeader } from './header';

export interface ReaderLimits {
  readonly maxEncryptedDataKeys: number;
  /**
   * Largest frame (or non-framed body) held in memory while it is authenticated. Infinity for
   * one-shot decryption, where the whole message is in memory anyway.
   */
  readonly maxFrameLength: number;
}

/** A frame (or the single non-framed block), whole: `prefix ‖ ciphertext ‖ tag` as read. */
export interface SealedPiece {
  readonly kind: 'sealed';
  readonly prefix: Uint8Array;
  readonly iv: Uint8Array;
  readonly aad: Uint8Array;
  readonly ciphertext: Uint8Array[];
  readonly tag: Uint8Array;
  /** The final frame or the single block: its plaintext is held until the message ends. */
  readonly final: boolean;
}

/** The footer's DER signature (its u16 length prefix is not signed). */
export interface SignaturePiece {
  readonly kind: 'signature';
  readonly signature: Uint8Array;
}

type State = 'header' | 'key' | 'frames' | 'footer' | 'done';

export class FrameReader {
  private readonly queue = new ByteQueue();
  private state: State = 'header';
  private parsed: ParsedHeader | undefined;
  private signed = false;
  private sequence = 1;
  private ended = false;
  /** Bytes the header parse needs before it is worth retrying. */
  private headerNeed = 0;
  /** Ciphertext bytes consumed (for diagnostics). */
  consumed = 0;

  constructor(private readonly limits: ReaderLimits) {}

  get header(): MessageHeader | undefined {
    return this.parsed?.header;
  }

  /** The header is parsed and waits for its key (begin() not called yet). */
  get awaitingKey(): boolean {
    return this.state === 'key';
  }

  write(chunk: Uint8Array): void {
    if (this.ended) throw new StrongroomError('INTERNAL', 'MessageDecoder.write() after end()');
    this.queue.push(chunk);
  }

  /** Try to parse the header from the bytes written so far. */
  readHeader(): ParsedHeader | undefined {
    if (this.state !== 'header') return this.parsed;
    if (this.queue.length < this.headerNeed) {
      if (this.ended) throw malformed('The message is truncated inside its header');
      return undefined;
    }
    const parsed = tryParseHeader(this.queue.peekAll(), { maxEncryptedDataKeys: this.limits.maxEncryptedDataKeys });
    if (typeof parsed === 'number') {
      if (this.ended) throw malformed('The message is truncated inside its header');
      this.headerNeed = parsed;
      return undefined;
    }
    const { frameLength, contentType } = parsed.header;
    if (contentType !== CONTENT_NON_FRAMED && frameLength > this.limits.maxFrameLength) {
      throw new StrongroomError(
        'LIMIT_EXCEEDED',
        `The message's frame length ${frameLength} exceeds maxFrameLength ${this.limits.maxFrameLength}; raise maxFrameLength to stream it`,
      );
    }
    this.parsed = parsed;
    this.state = 'key';
    return parsed;
  }

  /** The header authenticated: consume its bytes (returned, for a signature verifier) and read the body next. */
  begin(signed: boolean): Uint8Array[] {
    const parsed = this.parsed;
    if (this.state !== 'key' || !parsed) throw new StrongroomError('INTERNAL', 'MessageDecoder.begin() out of order');
    this.signed = signed;
    const raw = this.queue.take(parsed.length);
    this.consumed += parsed.length;
    this.state = 'frames';
    return raw;
  }

  /** The next complete frame or signature, or undefined when more input is needed (or the message is done). */
  next(): SealedPiece | SignaturePiece | undefined {
    const q = this.queue;
    if (this.state === 'frames') {
      const header = this.parsed!.header;
      return header.contentType === CONTENT_NON_FRAMED ? this.singleBlock(header) : this.frame(header);
    }
    if (this.state === 'footer') {
      if (q.length < 2) return undefined;
      const length = (q.byteAt(0) << 8) | q.byteAt(1);
      if (q.length < 2 + length) return undefined;
      q.take(2);
      const signature = q.takeBytes(length);
      this.consumed += 2 + length;
      this.state = 'done';
      return { kind: 'signature', signature };
    }
    if (this.state === 'done' && q.length > 0) throw malformed('Trailing bytes after the end of the message');
    return undefined;
  }

  /**
   * Signal end of input; then `next()` yields what is left. Call `checkEnd()` after draining.
   */
  end(): void {
    this.ended = true;
    if (this.state === 'header') this.readHeader();
  }

  /** Throws MALFORMED unless the whole message, and nothing after it, was read. */
  checkEnd(): void {
    if (this.state !== 'done') {
      throw malformed(this.state === 'footer' ? 'The message is truncated: the signature footer is missing' : 'The message is truncated');
    }
    if (this.queue.length > 0) throw malformed('Trailing bytes after the end of the message');
  }

  /** Stop: nothing more is read. */
  destroy(): void {
    this.state = 'done';
  }

  private frame(header: MessageHeader): SealedPiece | undefined {
    const q = this.queue;
    if (q.length < 4) return undefined;
    const final = q.u32At(0) === FINAL_FRAME_MARKER;
    const prefixLength = final ? 24 : 16;
    if (q.length < prefixLength) return undefined;
    const sequence = q.u32At(final ? 4 : 0);
    if (sequence !== this.sequence) throw malformed(`Frame sequence number ${sequence} is out of order (expected ${this.sequence})`);
    const length = final ? q.u32At(20) : header.frameLength;
    if (length > header.frameLength) throw malformed(`The final frame's length ${length} exceeds the frame length ${header.frameLength}`);
    if (q.length < prefixLength + length + 16) return undefined;
    const piece = this.sealed(prefixLength, length, final ? 8 : 4, bodyAad(header.messageId, final ? 'final' : 'frame', sequence, length), final);
    this.sequence++;
    if (final) this.finishBody();
    return piece;
  }

  private singleBlock(header: MessageHeader): SealedPiece | undefined {
    const q = this.queue;
    if (q.length < 20) return undefined;
    const length = q.u32At(12) * 2 ** 32 + q.u32At(16);
    if (length > MAX_NON_FRAMED_LENGTH) throw malformed(`Non-framed content length ${length} exceeds 2^36 - 32`);
    if (length > this.limits.maxFrameLength) {
      throw new StrongroomError('LIMIT_EXCEEDED', `Non-framed content of ${length} bytes exceeds maxFrameLength ${this.limits.maxFrameLength}`);
    }
    if (q.length < 20 + length + 16) return undefined;
    const piece = this.sealed(20, length, 0, bodyAad(header.messageId, 'single', 1, length), true);
    this.finishBody();
    return piece;
  }

  /** Consume `prefix ‖ ciphertext(length) ‖ tag(16)` (all queued); the IV is at `ivOffset` in the prefix. */
  private sealed(prefixLength: number, length: number, ivOffset: number, aad: Uint8Array, final: boolean): SealedPiece {
    const q = this.queue;
    const prefix = q.takeBytes(prefixLength);
    const ciphertext = q.take(length);
    const tag = q.takeBytes(16);
    this.consumed += prefixLength + length + 16;
    return { kind: 'sealed', prefix, iv: prefix.subarray(ivOffset, ivOffset + 12), aad, ciphertext, tag, final };
  }

  private finishBody(): void {
    this.state = this.signed ? 'footer' : 'done';
  }
}

/** The header tag's AAD: header body ‖ the serialized context the message only authenticates (spec: client-apis/decrypt.md). */
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
