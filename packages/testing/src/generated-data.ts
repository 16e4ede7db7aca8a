/**
 * Large test data that is never held or written out: the AES-256-CTR keystream of a seed (NIST SP
 * 800-38A §6.5), generated as it is read. Being a counter-mode keystream, any slice can be computed
 * on its own (from the 16-byte block that holds its first byte), so a test can check a ranged read
 * of a 1 GiB object without keeping the object anywhere.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const BLOCK = 16;
const CHUNK = 1 << 20;

function keystream(seed: number | string, offset: number) {
  const key = createHash('sha256').update(`strongroom-generated-${seed}`).digest();
  const counter = Buffer.alloc(BLOCK);
  counter.writeUInt32BE(Math.floor(offset / BLOCK / 2 ** 32), 8);
  counter.writeUInt32BE(Math.floor(offset / BLOCK) % 2 ** 32, 12);
  const ctr = createCipheriv('aes-256-ctr', key, counter);
  const zeros = Buffer.alloc(CHUNK);
  ctr.update(zeros.subarray(0, offset % BLOCK)); // skip to `offset` inside its block
  return (n: number) => ctr.update(n === CHUNK ? zeros : zeros.subarray(0, n));
}

/** `size` bytes of the data of `seed`, generated in 1 MiB chunks as they are read. */
export function generatedStream(size: number, seed: number | string): Readable {
  const next = keystream(seed, 0);
  let left = size;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (left === 0) return void this.push(null);
      const n = Math.min(left, CHUNK);
      left -= n;
      this.push(next(n));
    },
  });
}

/** Bytes `start` … `endInclusive` of the data of `seed` (what `generatedStream` yields there). */
export function generatedSlice(start: number, endInclusive: number, seed: number | string): Buffer {
  const next = keystream(seed, start);
  const parts: Buffer[] = [];
  for (let left = endInclusive - start + 1; left > 0; left -= CHUNK) parts.push(next(Math.min(left, CHUNK)));
  return Buffer.concat(parts);
}
