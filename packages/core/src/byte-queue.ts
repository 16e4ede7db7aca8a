/**
 * A FIFO of byte chunks for the streaming decoder: append chunks as they arrive, read fixed-size
 * fields and zero-copy views of ciphertext spans.
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

  u32At(i: number): number {
    return ((this.byteAt(i) << 24) | (this.byteAt(i + 1) << 16) | (this.byteAt(i + 2) << 8) | this.byteAt(i + 3)) >>> 0;
  }

  /**
   * Everything queued, as one contiguous buffer. Copies only when split over chunks, and then
   * compacts the queue to that one buffer so the next peek does not copy the same bytes again.
   */
  peekAll(): Uint8Array {
    const first = this.chunks[0];
    if (this.chunks.length === 1 && first) return first.subarray(this.head);
    const out = new Uint8Array(this.length);
    let offset = 0;
    this.forEach(this.length, (c) => {
      out.set(c, offset);
      offset += c.length;
    });
    this.chunks = out.length > 0 ? [out] : [];
    this.head = 0;
    return out;
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

  private forEach(n: number, fn: (c: Uint8Array) => void): void {
    let need = n;
    let head = this.head;
    for (const c of this.chunks) {
      if (need <= 0) break;
      const part = c.subarray(head, Math.min(c.length, head + need));
      fn(part);
      need -= part.length;
      head = 0;
    }
  }
}
