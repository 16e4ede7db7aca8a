/**
 * MessageDecoder: decrypts AWS Encryption SDK messages with a synchronous backend (the Node entry's
 * hot path: nothing here awaits). Both `decrypt()` and `decryptStream()` drive this one machine; the
 * parsing is ./frame-reader, shared with the web entry's ./web-decoder.
 *
 * Release rules (spec: client-apis/decrypt.md, client-apis/streaming.md):
 *  - nothing is released before the header tag (and for v2 the key commitment) verifies;
 *  - a frame's plaintext is released only after that frame's tag verifies;
 *  - the final frame (or the single non-framed block) is held until the end of input, so trailing
 *    bytes and — for signed suites — the signature are checked before the last plaintext is released.
 */
import type { CryptoBackend, IncrementalVerifier } from './backend';
import { StrongroomError } from './errors';
import { commitmentFailure, FrameReader, headerAad, headerAuthFailure, type ReaderLimits, signingPublicKey } from './frame-reader';
import type { MessageHeader, ParsedHeader } from './header';
import { commitmentKey, committingPrk, contentKey } from './kdf';

export interface DecoderOptions extends ReaderLimits {
  readonly backend: CryptoBackend;
}

export class MessageDecoder {
  private readonly reader: FrameReader;
  private key: Uint8Array | undefined;
  private verifier: IncrementalVerifier | undefined;
  private held: Uint8Array[] = [];

  constructor(private readonly options: DecoderOptions) {
    this.reader = new FrameReader(options);
  }

  get header(): MessageHeader | undefined {
    return this.reader.header;
  }

  /** Ciphertext bytes consumed (for diagnostics). */
  get consumed(): number {
    return this.reader.consumed;
  }

  write(chunk: Uint8Array): void {
    this.reader.write(chunk);
  }

  /** Try to parse the header from the bytes written so far. */
  readHeader(): ParsedHeader | undefined {
    return this.reader.readHeader();
  }

  /**
   * Supply the unwrapped data key. Checks the key commitment (v2, constant time, before the content
   * key is derived or used) and the header tag. The data key is not retained.
   * `onlyAuthenticate` is the serialized encryption context the message authenticates without
   * storing it (spec: client-apis/decrypt.md: header AAD = header body ‖ these bytes; empty if none).
   */
  begin(dataKey: Uint8Array, onlyAuthenticate: Uint8Array = new Uint8Array(0)): void {
    const parsed = this.reader.readHeader();
    if (!parsed || !this.reader.awaitingKey) throw new StrongroomError('INTERNAL', 'MessageDecoder.begin() out of order');
    const { backend } = this.options;
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
    this.key = key;
    if (header.suite.signature) this.verifier = backend.createVerifier(header.suite.signature, signingPublicKey(header));
    const raw = this.reader.begin(this.verifier !== undefined);
    if (this.verifier) for (const r of raw) this.verifier.update(r);
  }

  /** Decrypt every complete frame queued; returns plaintext that may be released now. */
  read(): Uint8Array[] {
    const out: Uint8Array[] = [];
    try {
      for (let piece = this.reader.next(); piece; piece = this.reader.next()) {
        if (piece.kind === 'signature') {
          if (!this.verifier!.verify(piece.signature)) throw new StrongroomError('AUTHENTICATION_FAILED', 'The message signature does not verify');
          continue;
        }
        const verifier = this.verifier;
        if (verifier) {
          verifier.update(piece.prefix);
          for (const c of piece.ciphertext) verifier.update(c);
          verifier.update(piece.tag);
        }
        const plaintext = this.options.backend.gcmDecrypt(this.key!, piece.iv, piece.aad, piece.ciphertext, piece.tag);
        if (piece.final) {
          this.held = plaintext;
          this.key!.fill(0);
          this.key = undefined;
        } else {
          out.push(...plaintext);
        }
      }
    } catch (e) {
      for (const o of out) o.fill(0);
      this.destroy();
      throw e;
    }
    return out;
  }

  /** Signal end of input. Returns the held plaintext once everything verified. */
  end(): Uint8Array[] {
    this.reader.end();
    const out = this.read();
    try {
      this.reader.checkEnd();
    } catch (e) {
      this.destroy();
      throw e;
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
    this.reader.destroy();
  }
}
