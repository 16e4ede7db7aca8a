/**
 * Cut a body into parts of exactly `partSize` bytes (the last one shorter), knowing which part is
 * last by peeking one source chunk ahead — so memory stays at one part plus one chunk.
 *
 * Contract: a yielded part's bytes are valid only until the next `next()` call — stream parts are
 * assembled in one reused buffer (the caller encrypts each part before asking for the next), which
 * keeps allocation churn, and so RSS, down on multi-GiB uploads.
 */
import { iterateBody } from './body';

export interface PlainPart {
  readonly data: Buffer;
  readonly isLast: boolean;
}

export async function* readParts(body: unknown, inMemory: Buffer | undefined, partSize: number): AsyncGenerator<PlainPart> {
  if (inMemory) {
    if (inMemory.length === 0) {
      yield { data: inMemory, isLast: true };
      return;
    }
    for (let off = 0; off < inMemory.length; off += partSize) {
      const end = Math.min(off + partSize, inMemory.length);
      yield { data: inMemory.subarray(off, end), isLast: end === inMemory.length };
    }
    return;
  }
  const it = iterateBody(body)[Symbol.asyncIterator]();
  let pending: Buffer | undefined; // leftover of the last source chunk
  let done = false;
  const next = async (): Promise<Buffer | undefined> => {
    if (pending) {
      const p = pending;
      pending = undefined;
      return p;
    }
    if (done) return undefined;
    for (;;) {
      const r = await it.next();
      if (r.done) {
        done = true;
        return undefined;
      }
      if (r.value.length) return Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    }
  };
  let first = true;
  let assembly: Buffer | undefined; // reused across parts
  try {
    for (;;) {
      let part: Buffer | undefined;
      let filled = 0;
      while (filled < partSize) {
        const chunk = await next();
        if (!chunk) break;
        const take = Math.min(partSize - filled, chunk.length);
        if (filled === 0 && take === chunk.length && take === partSize) {
          part = chunk; // exact fit: no copy
        } else {
          part ??= assembly ??= Buffer.allocUnsafe(partSize);
          chunk.copy(part, filled, 0, take);
        }
        filled += take;
        if (take < chunk.length) pending = chunk.subarray(take);
      }
      // Peek: is there anything after this part?
      const peek = await next();
      if (peek) pending = pending ? Buffer.concat([peek, pending]) : peek;
      const isLast = !peek;
      if (filled === 0 && !first) return;
      yield { data: part ? part.subarray(0, filled) : Buffer.alloc(0), isLast };
      first = false;
      if (isLast) return;
    }
  } finally {
    await it.return?.();
  }
}
