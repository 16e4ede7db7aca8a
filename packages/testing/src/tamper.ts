/**
 * Tampering with stored bytes in place, for attack tests against servers that keep objects in
 * files (s3rver): flip one bit at an offset with pread/pwrite (POSIX), leaving the file's length
 * and the server's own metadata (ETag) as they were.
 */
import { closeSync, openSync, readSync, statSync, writeSync } from 'node:fs';

/** Flip the lowest bit of the byte at `offset` of `path` (counted from the end when negative). Flipping twice restores it. */
export function flipStoredBit(path: string, offset: number): void {
  const fd = openSync(path, 'r+');
  try {
    const at = offset < 0 ? statSync(path).size + offset : offset;
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0]! ^= 0x01;
    writeSync(fd, b, 0, 1, at);
  } finally {
    closeSync(fd);
  }
}
