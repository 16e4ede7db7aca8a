/**
 * PooledDecoder: decrypts a message whose frames are opened on a worker pool, in batches of whole
 * frames. Parsing, the header, the key commitment, the signature and the final frame are done on the
 * calling thread by the same code as the one-thread ../decoder.ts (../frame-reader.ts,
 * ../header-auth.ts). Release rules (AWS Encryption SDK client-apis/decrypt.md, streaming.md):
 *  - a frame's plaintext is released only after its tag verified and every earlier frame was
 *    released (a worker opens a batch all or nothing; ./in-order.ts releases batches in order);
 *  - the final frame (or the single non-framed block) is held until the end of input, so trailing
 *    bytes and — for signed suites — the signature are checked before the last plaintext is released;
 *  - after a failure nothing more is released, and plaintext still arriving from workers is zeroed.
 */
import type { CryptoBackend, IncrementalVerifier } from '../backend';
import { StrongroomError } from '../errors';
import { FrameReader, type ReaderLimits, type SealedPiece } from '../frame-reader';
import type { MessageHeader, ParsedHeader } from '../header';
import { signingPublicKey, verifyHeader } from '../header-auth';
import { FrameBatch, framesPerBatch } from './frame-batch';
import { InOrder } from './in-order';
import type { PoolRunner } from './worker-pool';

export interface PooledDecoderOptions extends ReaderLimits {
  readonly backend: CryptoBackend;
  readonly runner: PoolRunner;
  /** Receives plaintext in order, each piece once it may be released. */
  readonly emit: (plaintext: Uint8Array) => void;
}

export class PooledDecoder {
  private readonly reader: FrameReader;
  private readonly flights: InOrder;
  private key: Uint8Array | undefined;
  private verifier: IncrementalVerifier | undefined;
  private held: Uint8Array[] = [];
  private batch: FrameBatch | undefined;
  private perBatch = 1;
  /** Data buffers of finished batches, reused (at most one per batch in flight). */
  private readonly spare: ArrayBuffer[] = [];

  constructor(private readonly options: PooledDecoderOptions) {
    this.reader = new FrameReader(options);
    this.flights = new InOrder(2 * options.runner.size, (pieces) => pieces.forEach((p) => options.emit(p)), true);
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
    const parsed = this.reader.readHeader();
    if (!parsed || !this.reader.awaitingKey) throw new StrongroomError('INTERNAL', 'PooledDecoder.begin() out of order');
    const { backend } = this.options;
    const { header } = parsed;
    this.key = verifyHeader(backend, parsed, dataKey, onlyAuthenticate);
    this.perBatch = framesPerBatch(header.frameLength);
    if (header.suite.signature) this.verifier = backend.createVerifier(header.suite.signature, signingPublicKey(header));
    const raw = this.reader.begin(this.verifier !== undefined);
    if (this.verifier) for (const r of raw) this.verifier.update(r);
  }

  /** Send every complete frame queued to the pool; resolves when there is room for more. */
  async read(): Promise<void> {
    try {
      for (let piece = this.reader.next(); piece; piece = this.reader.next()) {
        if (piece.kind === 'signature') {
          if (!this.verifier!.verify(piece.signature)) throw new StrongroomError('AUTHENTICATION_FAILED', 'The message signature does not verify');
          continue;
        }
        this.verify(piece);
        if (piece.final) {
          this.openFinal(piece);
          continue;
        }
        this.batch ??= new FrameBatch('open', this.perBatch, this.reader.header!.frameLength, this.spare.pop());
        this.batch.addOpen(piece);
        if (this.batch.full) {
          this.send();
          await this.flights.capacity();
        }
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
      await this.flights.drain();
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
    this.flights.stop(this.flights.failure);
    this.key?.fill(0);
    this.key = undefined;
    for (const h of this.held) h.fill(0);
    this.held = [];
    this.reader.destroy();
  }

  private verify(piece: SealedPiece): void {
    const verifier = this.verifier;
    if (!verifier) return;
    verifier.update(piece.prefix);
    for (const c of piece.ciphertext) verifier.update(c);
    verifier.update(piece.tag);
  }

  /** The final frame: the batch before it goes to the pool, the frame itself is opened here and held. */
  private openFinal(piece: SealedPiece): void {
    if (this.batch) this.send();
    this.held = this.options.backend.gcmDecrypt(this.key!, piece.iv, piece.aad, piece.ciphertext, piece.tag);
    this.key!.fill(0);
    this.key = undefined;
  }

  private send(): void {
    const batch = this.batch!;
    this.batch = undefined;
    const { task, transfer } = batch.task(this.key!);
    const opened = this.options.runner.run(task, transfer).then((reply) => {
      this.spare.push(reply.data!);
      return batch.opened(reply);
    });
    this.flights.add(opened);
  }
}
