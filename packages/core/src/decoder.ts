/**
 * MessageDecoder: decrypts AWS Encryption SDK messages with a synchronous backend (the Node entry's
 * hot path: nothing here awaits). Both `decrypt()` and `decryptStream()` drive this one machine; the
 * parsing is ./frame-reader, shared with the web entry's ./web-decoder, and everything but where a
 * regular frame is opened is SyncDecoderBase, shared with the worker pool's ./pool/pooled-decoder.
 *
 * Release rules (spec: client-apis/decrypt.md, client-apis/streaming.md):
 *  - nothing is released before the header tag (and for v2 the key commitment) verifies;
 *  - a frame's plaintext is released only after that frame's tag verifies;
 *  - the final frame (or the single non-framed block) is held until the end of input, so trailing
 *    bytes and — for signed suites — the signature are checked before the last plaintext is released.
 */
import { type CryptoBackend, type IncrementalVerifier, transientBytes } from './backend';
import { StrongroomError } from './errors';
import { feedVerifier, FrameReader, type ReaderLimits, type SealedPiece } from './frame-reader';
import type { MessageHeader, ParsedHeader } from './header';
import { signingPublicKey, verifyHeader } from './header-auth';

export interface DecoderOptions extends ReaderLimits {
  readonly backend: CryptoBackend;
}

/**
 * What the synchronous decoders share (this file's MessageDecoder and ./pool/pooled-decoder.ts): the
 * frame reader, begin() (key commitment and header tag), the signature checks between frames, the
 * held final frame and wiping. They differ only in where a regular frame is opened.
 */
export abstract class SyncDecoderBase {
  protected readonly reader: FrameReader;
  protected key: Uint8Array | undefined;
  protected verifier: IncrementalVerifier | undefined;
  protected held: Uint8Array[] = [];

  constructor(
    protected readonly backend: CryptoBackend,
    limits: ReaderLimits,
  ) {
    this.reader = new FrameReader(limits, transientBytes(backend));
  }

  get header(): MessageHeader | undefined {
    return this.reader.header;
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
    const { header } = parsed;
    const key = verifyHeader(this.backend, parsed, dataKey, onlyAuthenticate);
    let verifier: IncrementalVerifier | undefined;
    try {
      // For signed suites a verifier fed the raw header before any frame.
      verifier = header.suite.signature ? this.backend.createVerifier(header.suite.signature, signingPublicKey(header)) : undefined;
    } catch (e) {
      key.fill(0);
      throw e;
    }
    const raw = this.reader.begin(verifier !== undefined);
    if (verifier) for (const r of raw) verifier.update(r);
    this.key = key;
    this.verifier = verifier;
  }

  /** Wipe the content key and drop held plaintext. */
  destroy(): void {
    this.key?.fill(0);
    this.key = undefined;
    for (const h of this.held) h.fill(0);
    this.held = [];
    this.reader.destroy();
  }

  /**
   * The next complete frame (or single block) to open, undefined when none is queued. A signature
   * piece is verified here (AUTHENTICATION_FAILED if it does not verify); every frame is fed to the
   * verifier before it is returned.
   */
  protected nextFrame(): SealedPiece | undefined {
    for (let piece = this.reader.next(); piece; piece = this.reader.next()) {
      if (piece.kind === 'signature') {
        if (!this.verifier!.verify(piece.signature)) throw new StrongroomError('AUTHENTICATION_FAILED', 'The message signature does not verify');
        continue;
      }
      feedVerifier(this.verifier, piece);
      return piece;
    }
    return undefined;
  }

  /** Open the final frame (or the single block) here and hold its plaintext until the end; the content key is wiped. */
  protected holdFinal(piece: SealedPiece): void {
    this.held = this.backend.gcmDecrypt(this.key!, piece.iv, piece.aad, piece.ciphertext, piece.tag);
    this.key!.fill(0);
    this.key = undefined;
  }
}

export class MessageDecoder extends SyncDecoderBase {
  constructor(options: DecoderOptions) {
    super(options.backend, options);
  }

  /** Decrypt every complete frame queued; returns plaintext that may be released now. */
  read(): Uint8Array[] {
    const out: Uint8Array[] = [];
    try {
      for (let piece = this.nextFrame(); piece; piece = this.nextFrame()) {
        if (piece.final) this.holdFinal(piece);
        else out.push(...this.backend.gcmDecrypt(this.key!, piece.iv, piece.aad, piece.ciphertext, piece.tag));
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
}
