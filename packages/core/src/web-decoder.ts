/**
 * AsyncMessageDecoder: the web entry's decoder, over the async backend seam. The parsing is
 * ./frame-reader, the same code the Node entry's ./decoder drives; only authentication awaits.
 * Frames that are complete at once are opened concurrently and released in order. With a worker
 * pool (`pool`, ./pool/web-frame-pipes.ts), the regular frames are opened there instead (a batch is
 * opened all or nothing and batches are released in order); the header, the final frame and the
 * signature stay here.
 *
 * Release rules (spec: client-apis/decrypt.md, client-apis/streaming.md), as on Node:
 *  - nothing is released before the header tag (and for v2 the key commitment) verifies;
 *  - a frame's plaintext is released only after that frame's tag verifies;
 *  - the final frame (or the single non-framed block) is held until the end of input, so trailing
 *    bytes and — for signed suites — the signature are checked before the last plaintext is released.
 */
import type { AsyncCryptoBackend, AsyncGcmKey, AsyncIncrementalVerifier } from './async-backend';
import { StrongroomError } from './errors';
import { feedVerifier, FrameReader, type ReaderLimits, type SealedPiece } from './frame-reader';
import type { MessageHeader, ParsedHeader } from './header';
import { signingPublicKey } from './header-auth';
import type { FramePipe, FramePipes } from './pool/web-frame-pipes';
import { verifyHeaderAsync } from './web-header-auth';

export interface AsyncDecoderOptions extends ReaderLimits {
  readonly backend: AsyncCryptoBackend;
  /** Open the regular frames on a client's workers (Web Crypto there). */
  readonly pool?: FramePipes | undefined;
}

export class AsyncMessageDecoder {
  private readonly reader: FrameReader;
  private key: AsyncGcmKey | undefined;
  private verifier: AsyncIncrementalVerifier | undefined;
  private held: Uint8Array[] = [];
  private pipe: FramePipe | undefined;
  /** Plaintext the pool released (authenticated, in order), not yet returned. */
  private ready: Uint8Array[] = [];

  constructor(private readonly options: AsyncDecoderOptions) {
    this.reader = new FrameReader(options);
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

  /** Supply the unwrapped data key (not retained): checks the key commitment, then the header tag. */
  async begin(dataKey: Uint8Array, onlyAuthenticate: Uint8Array = new Uint8Array(0)): Promise<void> {
    const parsed = this.reader.readHeader();
    if (!parsed || !this.reader.awaitingKey || this.key) throw new StrongroomError('INTERNAL', 'MessageDecoder.begin() out of order');
    const { backend } = this.options;
    const { header } = parsed;
    const makePipe = await this.options.pool?.maker();
    let pipe: FramePipe | undefined;
    let gcm: AsyncGcmKey;
    let verifier: AsyncIncrementalVerifier | undefined;
    try {
      gcm = await verifyHeaderAsync(backend, parsed, dataKey, onlyAuthenticate, (raw) => {
        pipe = makePipe?.('open', header.frameLength, raw, (plaintext) => this.ready.push(plaintext));
      });
      try {
        verifier = header.suite.signature ? await backend.createVerifier(header.suite.signature, signingPublicKey(header)) : undefined;
      } catch (e) {
        gcm.destroy();
        throw e;
      }
    } catch (e) {
      pipe?.close();
      throw e;
    }
    this.pipe = pipe;
    this.key = gcm;
    this.verifier = verifier;
    const raw = this.reader.begin(verifier !== undefined);
    if (verifier) for (const r of raw) verifier.update(r);
  }

  /** Authenticate and decrypt every complete frame queued; resolves plaintext that may be released now. */
  async read(): Promise<Uint8Array[]> {
    try {
      const sealed: SealedPiece[] = [];
      let signature: Uint8Array | undefined;
      for (let piece = this.reader.next(); piece; piece = this.reader.next()) {
        if (piece.kind === 'signature') {
          signature = piece.signature;
          continue;
        }
        feedVerifier(this.verifier, piece);
        if (this.pipe && !piece.final) {
          await this.pipe.open(piece);
          continue;
        }
        sealed.push(piece);
        if (piece.final) this.pipe?.last();
      }
      if (sealed.length === 0 && signature === undefined) return this.ready.splice(0);
      const key = this.key!;
      const opened = await Promise.all(sealed.map((p) => key.decrypt(p.iv, p.aad, p.ciphertext, p.tag)));
      const out: Uint8Array[] = this.ready.splice(0);
      sealed.forEach((p, i) => {
        if (p.final) this.held = opened[i]!;
        else out.push(...opened[i]!);
      });
      if (sealed.at(-1)?.final) {
        key.destroy();
        this.key = undefined;
      }
      if (signature !== undefined && !(await this.verifier!.verify(signature))) {
        for (const o of out) o.fill(0);
        throw new StrongroomError('AUTHENTICATION_FAILED', 'The message signature does not verify');
      }
      return out;
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  /** Signal end of input. Resolves the held plaintext once everything verified. */
  async end(): Promise<Uint8Array[]> {
    this.reader.end();
    const out = await this.read();
    try {
      this.reader.checkEnd();
      await this.pipe?.finish();
    } catch (e) {
      for (const o of out) o.fill(0);
      this.destroy();
      throw e;
    }
    out.push(...this.ready.splice(0), ...this.held);
    this.held = [];
    return out;
  }

  /** Forget the content key and wipe held plaintext. */
  destroy(): void {
    this.pipe?.close(this.pipe.failure);
    for (const r of this.ready) r.fill(0);
    this.ready = [];
    this.key?.destroy();
    this.key = undefined;
    for (const h of this.held) h.fill(0);
    this.held = [];
    this.reader.destroy();
  }
}
