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
import { type CryptoBackend, type IncrementalVerifier, transientBytes } from './backend';
import { StrongroomError } from './errors';
import { feedVerifier, FrameReader, type ReaderLimits } from './frame-reader';
import type { MessageHeader, ParsedHeader } from './header';
import { signingPublicKey, verifyHeader } from './header-auth';

export interface DecoderOptions extends ReaderLimits {
  readonly backend: CryptoBackend;
}

export class MessageDecoder {
  private readonly reader: FrameReader;
  private key: Uint8Array | undefined;
  private verifier: IncrementalVerifier | undefined;
  private held: Uint8Array[] = [];

  constructor(private readonly options: DecoderOptions) {
    this.reader = new FrameReader(options, transientBytes(options.backend));
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
    const { key, verifier } = beginMessage(this.reader, this.options.backend, dataKey, onlyAuthenticate);
    this.key = key;
    this.verifier = verifier;
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
        feedVerifier(this.verifier, piece);
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

/**
 * begin() of a synchronous decoder (this one and ./pool/pooled-decoder.ts): the key commitment (v2,
 * constant time, before the content key is derived or used) and the header tag with the data key
 * (not retained); for signed suites a verifier already fed the header. The caller owns and wipes `key`.
 */
export function beginMessage(
  reader: FrameReader,
  backend: CryptoBackend,
  dataKey: Uint8Array,
  onlyAuthenticate: Uint8Array,
): { key: Uint8Array; verifier: IncrementalVerifier | undefined } {
  const parsed = reader.readHeader();
  if (!parsed || !reader.awaitingKey) throw new StrongroomError('INTERNAL', 'MessageDecoder.begin() out of order');
  const { header } = parsed;
  const key = verifyHeader(backend, parsed, dataKey, onlyAuthenticate);
  let verifier: IncrementalVerifier | undefined;
  try {
    verifier = header.suite.signature ? backend.createVerifier(header.suite.signature, signingPublicKey(header)) : undefined;
  } catch (e) {
    key.fill(0);
    throw e;
  }
  const raw = reader.begin(verifier !== undefined);
  if (verifier) for (const r of raw) verifier.update(r);
  return { key, verifier };
}
