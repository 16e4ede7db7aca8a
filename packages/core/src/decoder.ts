/**
 * MessageDecoder: a push parser for AWS Encryption SDK messages (versions 1 and 2, framed and
 * non-framed, signed and unsigned). Both `decrypt()` and `decryptStream()` drive this one machine.
 *
 * Release rules (spec: client-apis/decrypt.md, client-apis/streaming.md):
 *  - nothing is released before the header tag (and for v2 the key commitment) verifies;
 *  - a frame's plaintext is released only after that frame's tag verifies;
 *  - the final frame (or the single non-framed block) is held until the end of input, so trailing
 *    bytes and — for signed suites — the signature are checked before the last plaintext is released.
 */
import type { CryptoBackend, IncrementalVerifier } from './backend';
import { bodyAad, MAX_NON_FRAMED_LENGTH } from './body';
import { ByteQueue } from './byte-queue';
import { malformed, StrongroomError } from './errors';
import { frameShape, openFrame } from './frame';
import { CONTENT_NON_FRAMED, type MessageHeader, type ParsedHeader, tryParseHeader } from './header';
import { verifyHeader } from './header-auth';

export interface DecoderOptions {
  readonly backend: CryptoBackend;
  readonly maxEncryptedDataKeys: number;
  /**
   * Largest frame (or non-framed body) held in memory while it is authenticated. Infinity for
   * one-shot decryption, where the whole message is in memory anyway.
   */
  readonly maxFrameLength: number;
}

type State = 'header' | 'key' | 'frames' | 'footer' | 'done';

export class MessageDecoder {
  private readonly queue = new ByteQueue();
  private state: State = 'header';
  private parsed: ParsedHeader | undefined;
  private key: Uint8Array | undefined;
  private verifier: IncrementalVerifier | undefined;
  private sequence = 1;
  private held: Uint8Array[] = [];
  private ended = false;
  /** Bytes the header parse needs before it is worth retrying. */
  private headerNeed = 0;
  /** Ciphertext bytes consumed (for diagnostics). */
  consumed = 0;

  constructor(private readonly options: DecoderOptions) {}

  get header(): MessageHeader | undefined {
    return this.parsed?.header;
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
    const parsed = tryParseHeader(this.queue.peekAll(), { maxEncryptedDataKeys: this.options.maxEncryptedDataKeys });
    if (typeof parsed === 'number') {
      if (this.ended) throw malformed('The message is truncated inside its header');
      this.headerNeed = parsed;
      return undefined;
    }
    const { frameLength, contentType } = parsed.header;
    if (contentType !== CONTENT_NON_FRAMED && frameLength > this.options.maxFrameLength) {
      throw new StrongroomError(
        'LIMIT_EXCEEDED',
        `The message's frame length ${frameLength} exceeds maxFrameLength ${this.options.maxFrameLength}; raise maxFrameLength to stream it`,
      );
    }
    this.parsed = parsed;
    this.state = 'key';
    return parsed;
  }

  /**
   * Supply the unwrapped data key. Checks the key commitment (v2, constant time, before the content
   * key is derived or used) and the header tag. The data key is not retained.
   * `onlyAuthenticate` is the serialized encryption context the message authenticates without
   * storing it (spec: client-apis/decrypt.md: header AAD = header body ‖ these bytes; empty if none).
   */
  begin(dataKey: Uint8Array, onlyAuthenticate: Uint8Array = new Uint8Array(0)): void {
    const parsed = this.parsed;
    if (this.state !== 'key' || !parsed) throw new StrongroomError('INTERNAL', 'MessageDecoder.begin() out of order');
    const { backend } = this.options;
    const { header } = parsed;
    const key = verifyHeader(backend, parsed, dataKey, onlyAuthenticate);
    this.key = key;
    if (header.suite.signature) {
      const publicKey = header.encryptionContext['aws-crypto-public-key'];
      if (publicKey === undefined) throw malformed('A signed message must carry aws-crypto-public-key in its encryption context');
      this.verifier = backend.createVerifier(header.suite.signature, Buffer.from(publicKey, 'base64'));
    }
    const raw = this.queue.take(parsed.length);
    this.consumed += parsed.length;
    if (this.verifier) for (const r of raw) this.verifier.update(r);
    this.state = 'frames';
  }

  /** Decrypt every complete frame queued; returns plaintext that may be released now. */
  read(): Uint8Array[] {
    const out: Uint8Array[] = [];
    try {
      while (this.step(out));
    } catch (e) {
      this.destroy();
      throw e;
    }
    return out;
  }

  /** Signal end of input. Returns the held plaintext once everything verified. */
  end(): Uint8Array[] {
    this.ended = true;
    if (this.state === 'header') this.readHeader();
    const out = this.read();
    if (this.state !== 'done') {
      this.destroy();
      throw malformed(this.state === 'footer' ? 'The message is truncated: the signature footer is missing' : 'The message is truncated');
    }
    if (this.queue.length > 0) {
      this.destroy();
      throw malformed('Trailing bytes after the end of the message');
    }
    out.push(...this.held);
    this.held = [];
    return out;
  }

  /** Wipe the content key and drop held plaintext. */
  destroy(): void {
    this.key?.fill(0);
    this.key = undefined;
    for (const h of this.held) h.fill(0);
    this.held = [];
    if (this.state !== 'done') this.state = 'done';
  }

  /** One parsing step; returns false when it needs more input. */
  private step(out: Uint8Array[]): boolean {
    const q = this.queue;
    if (this.state === 'frames') {
      const header = this.parsed!.header;
      return header.contentType === CONTENT_NON_FRAMED ? this.singleBlock(header) : this.frame(header, out);
    }
    if (this.state === 'footer') {
      if (q.length < 2) return false;
      const length = (q.byteAt(0) << 8) | q.byteAt(1);
      if (q.length < 2 + length) return false;
      q.take(2);
      const signature = q.takeBytes(length);
      this.consumed += 2 + length;
      if (!this.verifier!.verify(signature)) {
        throw new StrongroomError('AUTHENTICATION_FAILED', 'The message signature does not verify');
      }
      this.state = 'done';
      return false;
    }
    if (this.state === 'done' && q.length > 0) throw malformed('Trailing bytes after the end of the message');
    return false;
  }

  private frame(header: MessageHeader, out: Uint8Array[]): boolean {
    const q = this.queue;
    const shape = frameShape((offset) => q.u32At(offset), q.length, header.frameLength, this.sequence);
    if (!shape || q.length < shape.total) return false;
    const prefix = q.takeBytes(shape.prefixLength);
    const ciphertext = q.take(shape.length);
    const tag = q.takeBytes(16);
    this.consumed += shape.total;
    this.verify(prefix, ciphertext, tag);
    const plaintext = openFrame(this.options.backend, this.key!, header.messageId, shape, prefix, ciphertext, tag);
    this.sequence++;
    if (shape.final) {
      this.held = plaintext;
      this.finishBody();
    } else {
      out.push(...plaintext);
    }
    return true;
  }

  private singleBlock(header: MessageHeader): boolean {
    const q = this.queue;
    if (q.length < 20) return false;
    const hi = q.u32At(12);
    const length = hi * 2 ** 32 + q.u32At(16);
    if (length > MAX_NON_FRAMED_LENGTH) throw malformed(`Non-framed content length ${length} exceeds 2^36 - 32`);
    if (length > this.options.maxFrameLength) {
      throw new StrongroomError('LIMIT_EXCEEDED', `Non-framed content of ${length} bytes exceeds maxFrameLength ${this.options.maxFrameLength}`);
    }
    const total = 20 + length + 16;
    if (q.length < total) return false;
    const prefix = q.takeBytes(20);
    const ciphertext = q.take(length);
    const tag = q.takeBytes(16);
    this.consumed += total;
    this.verify(prefix, ciphertext, tag);
    this.held = this.options.backend.gcmDecrypt(this.key!, prefix.subarray(0, 12), bodyAad(header.messageId, 'single', 1, length), ciphertext, tag);
    this.finishBody();
    return true;
  }

  /** Feed a sealed piece to the signature verifier (signed suites). */
  private verify(prefix: Uint8Array, ciphertext: readonly Uint8Array[], tag: Uint8Array): void {
    if (!this.verifier) return;
    this.verifier.update(prefix);
    for (const c of ciphertext) this.verifier.update(c);
    this.verifier.update(tag);
  }

  private finishBody(): void {
    this.key!.fill(0);
    this.key = undefined;
    this.state = this.verifier ? 'footer' : 'done';
  }
}
