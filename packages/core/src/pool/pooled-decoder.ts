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
import type { CryptoBackend } from '../backend';
import { SyncDecoderBase } from '../decoder';
import type { ReaderLimits } from '../frame-reader';
import { BatchPipe } from './batch-pipe';
import type { PoolRunner } from './pool-core';

export interface PooledDecoderOptions extends ReaderLimits {
  readonly backend: CryptoBackend;
  readonly runner: PoolRunner;
  /** Receives plaintext in order, each piece once it may be released. */
  readonly emit: (plaintext: Uint8Array) => void;
}

export class PooledDecoder extends SyncDecoderBase {
  private pipe: BatchPipe | undefined;

  constructor(private readonly options: PooledDecoderOptions) {
    super(options.backend, options);
  }

  /** As ../decoder.ts begin(), then the pipe that opens the regular frames on the pool. */
  override begin(dataKey: Uint8Array, onlyAuthenticate?: Uint8Array): void {
    super.begin(dataKey, onlyAuthenticate);
    this.pipe = new BatchPipe('open', this.options.runner, this.reader.header!.frameLength, this.key!, this.options.emit);
  }

  /** Send every complete frame queued to the pool; resolves when there is room for more. */
  async read(): Promise<void> {
    try {
      for (let piece = this.nextFrame(); piece; piece = this.nextFrame()) {
        if (piece.final) {
          this.pipe!.last(); // the batch before it goes to the pool; the final frame is opened here and held
          this.holdFinal(piece);
        } else {
          await this.pipe!.open(piece);
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
      await this.pipe?.finish();
    } catch (e) {
      this.destroy();
      throw e;
    }
    const held = this.held;
    this.held = [];
    for (const h of held) this.options.emit(h);
  }

  /** Wipe the content key and held plaintext; release nothing more. */
  override destroy(): void {
    this.pipe?.close(this.pipe.failure);
    super.destroy();
  }
}
