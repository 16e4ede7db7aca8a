/**
 * Batches in flight on the pool, released strictly in the order they were sent, whatever order the
 * workers finish in; at most `limit` at a time (the caller waits on `capacity()` before sending more:
 * this is the backpressure that bounds memory to `limit` batches per stream). The first failure stops
 * all release: nothing after it is handed out, and results still arriving are zeroed if `wipe`.
 */
interface Flight {
  out: readonly Uint8Array[] | undefined;
  readonly settled: Promise<void>;
}

export class InOrder {
  private readonly queue: Flight[] = [];
  private error: unknown;
  private stopped = false;

  constructor(
    private readonly limit: number,
    private readonly release: (pieces: readonly Uint8Array[]) => void,
    private readonly wipe: boolean,
  ) {}

  /** The first error, if any batch failed. */
  get failure(): unknown {
    return this.error;
  }

  get size(): number {
    return this.queue.length;
  }

  /** Track a batch; its pieces are released after every earlier batch's. */
  add(result: Promise<readonly Uint8Array[]>): void {
    const flight: Flight = {
      out: undefined,
      settled: result.then(
        (out) => {
          if (this.stopped) {
            if (this.wipe) zero(out);
            return;
          }
          flight.out = out;
          this.flush();
        },
        (e: unknown) => this.stop(e),
      ),
    };
    this.queue.push(flight);
  }

  /** Resolves once fewer than `limit` batches are in flight; throws the first failure. */
  async capacity(): Promise<void> {
    while (!this.stopped && this.queue.length >= this.limit) await this.queue[0]!.settled;
    this.check();
  }

  /** Resolves once every batch was released; throws the first failure. */
  async drain(): Promise<void> {
    while (!this.stopped && this.queue.length > 0) await this.queue[0]!.settled;
    this.check();
  }

  /** Stop releasing (on error or abort); pending results are dropped (and zeroed if `wipe`). */
  stop(error?: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.error = error;
    for (const f of this.queue) if (this.wipe && f.out) zero(f.out);
    this.queue.length = 0;
  }

  private check(): void {
    if (this.error !== undefined) throw this.error;
  }

  private flush(): void {
    while (!this.stopped && this.queue[0]?.out) {
      const flight = this.queue.shift()!;
      try {
        this.release(flight.out!);
      } catch (e) {
        this.stop(e);
      }
    }
  }
}

function zero(pieces: readonly Uint8Array[]): void {
  for (const piece of pieces) piece.fill(0);
}
