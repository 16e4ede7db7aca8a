/**
 * A FIFO of byte chunks: append chunks as they arrive, take zero-copy views of spans from the front.
 * The streaming decoder reads fields and ciphertext from it; the encoder's FrameWriter cuts frames.
 */
import { concatBytes } from './bytes';

export class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0; // offset into chunks[0]
  length = 0;

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Byte at position i from the front (i < length). */
  byteAt(i: number): number {
    let index = i + this.head;
    for (const c of this.chunks) {
      if (index < c.length) return c[index]!;
      index -= c.length;
    }
    throw new RangeError('ByteQueue.byteAt out of range');
  }

  /**
   * The big-endian unsigned integer of the `n` bytes at position i from the front (exact up to 6 bytes;
   * beyond, the nearest double, which is still right when compared with a limit below 2^53).
   */
  uintAt(i: number, n: number): number {
    let v = 0;
    for (let k = 0; k < n; k++) v = v * 256 + this.byteAt(i + k);
    return v;
  }

  /**
   * Everything queued, as one contiguous buffer. Copies only when split over chunks, and then
   * compacts the queue to that one buffer so the next peek does not copy the same bytes again.
   */
  peekAll(): Uint8Array {
    const all = concatBytes(this.take(this.length));
    this.push(all);
    return all;
  }

  /** Remove n bytes from the front and return them as views into the queued chunks. */
  take(n: number): Uint8Array[] {
    if (n > this.length) throw new RangeError('ByteQueue.take beyond the queued length');
    const out: Uint8Array[] = [];
    let need = n;
    while (need > 0) {
      const c = this.chunks[0]!;
      const available = c.length - this.head;
      if (available <= need) {
        out.push(this.head === 0 ? c : c.subarray(this.head));
        this.chunks.shift();
        this.head = 0;
        need -= available;
      } else {
        out.push(c.subarray(this.head, this.head + need));
        this.head += need;
        need = 0;
      }
    }
    this.length -= n;
    return out;
  }

  /** Remove n bytes from the front as one contiguous buffer. */
  takeBytes(n: number): Uint8Array {
    return concatBytes(this.take(n), n);
  }
}
