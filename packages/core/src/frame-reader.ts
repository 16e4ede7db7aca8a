/**
 * FrameReader: the parsing half of decryption, without any cryptography. A push parser for AWS
 * Encryption SDK messages (versions 1 and 2, framed and non-framed, signed and unsigned) that hands
 * out one sealed frame, or the signature, at a time; a driver (./decoder for a synchronous backend,
 * ./web-decoder for the async seam) authenticates and decrypts them. Frames are checked by
 * ./frame.ts (shared with the random-access framed API), so every layout check is in one place.
 * spec: data-format/message-header.md, message-body.md, message-footer.md; client-apis/decrypt.md.
 */
import { type Allocate, bodyAad, MAX_NON_FRAMED_LENGTH } from './body';
import { ByteQueue } from './byte-queue';
import { malformed, StrongroomError } from './errors';
import { frameAad, frameShape } from './frame';
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

/** Feed a frame's bytes as read (prefix ‖ ciphertext ‖ tag) to a signature verifier, if the suite signs. */
export function feedVerifier(verifier: { update(data: Uint8Array): void } | undefined, piece: SealedPiece): void {
  if (!verifier) return;
  verifier.update(piece.prefix);
  for (const c of piece.ciphertext) verifier.update(c);
  verifier.update(piece.tag);
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

  constructor(
    private readonly limits: ReaderLimits,
    /** Where each frame's AAD is written (a backend's transientBytes). */
    private readonly allocate?: Allocate,
  ) {}

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
    // Not worth a parse until the bytes the last one needed are here (a number: the bytes needed).
    const parsed = this.queue.length < this.headerNeed ? this.headerNeed : tryParseHeader(this.queue.peekAll(), { maxEncryptedDataKeys: this.limits.maxEncryptedDataKeys });
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
      const length = q.uintAt(0, 2);
      if (q.length < 2 + length) return undefined;
      q.take(2);
      const signature = q.takeBytes(length);
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
    const shape = frameShape((o) => q.uintAt(o, 4), q.length, header.frameLength, this.sequence);
    if (!shape || q.length < shape.total) return undefined;
    const piece = this.sealed(shape.prefixLength, shape.length, shape.ivOffset, frameAad(header.messageId, shape, this.allocate), shape.final);
    this.sequence++;
    if (shape.final) this.finishBody();
    return piece;
  }

  private singleBlock(header: MessageHeader): SealedPiece | undefined {
    const q = this.queue;
    if (q.length < 20) return undefined;
    const length = q.uintAt(12, 8);
    if (length > MAX_NON_FRAMED_LENGTH) throw malformed(`Non-framed content length ${length} exceeds 2^36 - 32`);
    if (length > this.limits.maxFrameLength) {
      throw new StrongroomError('LIMIT_EXCEEDED', `Non-framed content of ${length} bytes exceeds maxFrameLength ${this.limits.maxFrameLength}`);
    }
    if (q.length < 20 + length + 16) return undefined;
    const piece = this.sealed(20, length, 0, bodyAad(header.messageId, 'single', 1, length, this.allocate), true);
    this.finishBody();
    return piece;
  }

  /** Consume `prefix ‖ ciphertext(length) ‖ tag(16)` (all queued); the IV is at `ivOffset` in the prefix. */
  private sealed(prefixLength: number, length: number, ivOffset: number, aad: Uint8Array, final: boolean): SealedPiece {
    const q = this.queue;
    const prefix = q.takeBytes(prefixLength);
    const ciphertext = q.take(length);
    const tag = q.takeBytes(16);
    return { kind: 'sealed', prefix, iv: prefix.subarray(ivOffset, ivOffset + 12), aad, ciphertext, tag, final };
  }

  private finishBody(): void {
    this.state = this.signed ? 'footer' : 'done';
  }
}
