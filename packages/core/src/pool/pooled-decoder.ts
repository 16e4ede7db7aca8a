/**
 * PooledDecoder: decrypts a message whose frames are opened on a worker pool, in batches of whole
 * frames. Parsing, the header, the key commitment, the signature and the final frame are done on the
 * calling thread by the same code as the one-thread ../decoder.ts (../frame-reader.ts,
 * ../header-auth.ts). Release rules (AWS Encryption SDK client-apis/decrypt.md, streaming.md):
 *  - a frame's plaintext is released only after its tag verified and every earlier frame was
 *    released (a worker opens a batch all or nothing; ./batch-pipe.ts releases batches in order);
 *  - the final frame (or the single non-framed block) is held until the end of input, so trailing
 *    bytes and — for signed suites — the signature are checked before the last plaintext is released;
 *  - after a failure nothing more is released, and plaintext still arriving from workers is zeroed.
 */
import { type CryptoBackend, type IncrementalVerifier, transientBytes } from '../backend';
import { StrongroomError } from '../errors';
import { beginMessage } from '../decoder';
import { feedVerifier, FrameReader, type ReaderLimits, type SealedPiece } from '../frame-reader';
import type { MessageHeader, ParsedHeader } from '../header';
import { BatchPipe } from './batch-pipe';
import type { PoolRunner } from './pool-core';

export interface PooledDecoderOptions extends ReaderLimits {
  readonly backend: CryptoBackend;
  readonly runner: PoolRunner;
  /** Receives plaintext in order, each piece once it may be released. */
  readonly emit: (plaintext: Uint8Array) => void;
}

export class PooledDecoder {
  private readonly reader: FrameReader;
  private pipe: BatchPipe | undefined;
  private key: Uint8Array | undefined;
  private verifier: IncrementalVerifier | undefined;
  private held: Uint8Array[] = [];

  constructor(private readonly options: PooledDecoderOptions) {
    this.reader = new FrameReader(options, transientBytes(options.backend));
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

  /** As ../decoder.ts begin(): key commitment and header tag with the data key (not retained). */
  begin(dataKey: Uint8Array, onlyAuthenticate: Uint8Array = new Uint8Array(0)): void {
    const { key, verifier } = beginMessage(this.reader, this.options.backend, dataKey, onlyAuthenticate);
    this.key = key;
    this.verifier = verifier;
    this.pipe = new BatchPipe('open', this.options.runner, this.reader.header!.frameLength, key, this.options.emit);
  }

  /** Send every complete frame queued to the pool; resolves when there is room for more. */
  async read(): Promise<void> {
    try {
      for (let piece = this.reader.next(); piece; piece = this.reader.next()) {
        if (piece.kind === 'signature') {
          if (!this.verifier!.verify(piece.signature)) throw new StrongroomError('AUTHENTICATION_FAILED', 'The message signature does not verify');
          continue;
        }
        feedVerifier(this.verifier, piece);
        if (piece.final) {
          this.openFinal(piece);
          continue;
        }
        await this.pipe!.open(piece);
      }
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  /** Signal end of input; resolves after every frame was released, the held final frame last. */
  async end(): Promise<void> {
    try {
      this.reader.end();
      await this.read();
      this.reader.checkEnd();
      await this.pipe?.drain();
    } catch (e) {
      this.destroy();
      throw e;
    }
    const held = this.held;
    this.held = [];
    for (const h of held) this.options.emit(h);
  }

  /** Wipe the content key and held plaintext; release nothing more. */
  destroy(): void {
    this.pipe?.close(this.pipe.failure);
    this.key?.fill(0);
    this.key = undefined;
    for (const h of this.held) h.fill(0);
    this.held = [];
    this.reader.destroy();
  }

  /** The final frame: the batch before it goes to the pool, the frame itself is opened here and held. */
  private openFinal(piece: SealedPiece): void {
    this.pipe!.flush();
    this.held = this.options.backend.gcmDecrypt(this.key!, piece.iv, piece.aad, piece.ciphertext, piece.tag);
    this.key!.fill(0);
    this.key = undefined;
  }
}
