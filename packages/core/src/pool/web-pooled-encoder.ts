/**
 * The web entry's encoder for a client with a worker pool: as ../web-encoder.ts, but the regular
 * frames are sealed on the workers, in batches through a pipe (./batch-pipe.ts, the same code as the
 * Node build's ./pooled-encoder.ts), and emitted in order as they come back; the header and the final
 * frame are sealed here. Loaded with the pipe only by a client that has a pool (./web-frame-pipes.ts).
 */
import { AsyncMessageEncoder, type AsyncEncoderInput, startMessage, type StartedMessage } from '../web-encoder';
import type { FramePipe, MakeFramePipe } from './web-frame-pipes';

class PooledAsyncEncoder extends AsyncMessageEncoder {
  constructor(
    message: StartedMessage,
    private readonly pipe: FramePipe,
    /** Message bytes the pool sealed (in order), not yet returned. */
    private readonly ready: Uint8Array[],
  ) {
    super(message);
  }

  override async update(chunk: Uint8Array): Promise<Uint8Array[]> {
    for (const job of this.frames.update(chunk)) await this.pipe.seal(job);
    return this.emit(this.ready.splice(0));
  }

  /** Every batch back (the pipe then wipes its key copy and buffers), then the final frame and the signature. */
  override async final(): Promise<Uint8Array[]> {
    await this.pipe.finish();
    const out = this.emit(this.ready.splice(0));
    out.push(...(await super.final()));
    return out;
  }

  override destroy(): void {
    super.destroy();
    this.pipe.close(this.pipe.failure);
    this.ready.length = 0;
  }
}

/** The encoder of a message: pooled when `makePipe` gives it a pipe, else the calling thread's. */
export async function pooledEncoder(input: AsyncEncoderInput, makePipe: MakeFramePipe): Promise<AsyncMessageEncoder> {
  let pipe: FramePipe | undefined;
  const ready: Uint8Array[] = [];
  let message: StartedMessage;
  try {
    message = await startMessage(input, (raw) => {
      pipe = makePipe('seal', input.frameLength, raw, (bytes) => ready.push(bytes));
    });
  } catch (e) {
    pipe?.close();
    throw e;
  }
  return pipe ? new PooledAsyncEncoder(message, pipe, ready) : new AsyncMessageEncoder(message);
}
