/**
 * Accepted plaintext/ciphertext inputs in every runtime: Uint8Array, string (UTF-8), a WHATWG
 * ReadableStream (https://streams.spec.whatwg.org/), and any (async) iterable of Uint8Array/string
 * chunks (a Node Readable is one). No Node import: the web entry uses this file as is.
 */
import { chunkBytes, describe, utf8 } from './bytes';
import { StrongroomError } from './errors';

/** What the web entry's encrypt and decrypt accept: bytes, a string (UTF-8), a ReadableStream or (async) iterable of bytes. */
export type WebInput = Uint8Array | string | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

export function isInput(value: unknown): value is WebInput {
  if (value instanceof Uint8Array || typeof value === 'string') return true;
  if (typeof value !== 'object' || value === null) return false;
  return (
    typeof (value as { getReader?: unknown }).getReader === 'function' ||
    typeof (value as { pipe?: unknown }).pipe === 'function' ||
    Symbol.asyncIterator in value ||
    Symbol.iterator in value
  );
}

/** A ReadableStream read through its reader (not every runtime makes ReadableStream async-iterable). */
async function* readAll(stream: ReadableStream<unknown>): AsyncGenerator<unknown> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // Stopped early (an error, a break): cancel the source so it stops producing.
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** Iterate the input as byte chunks. In-memory inputs yield one chunk. */
export async function* chunksOf(input: WebInput | object): AsyncGenerator<Uint8Array> {
  if (input instanceof Uint8Array || typeof input === 'string') {
    yield chunkBytes(input, 'input');
    return;
  }
  if (!isInput(input)) throw new StrongroomError('INVALID_ARGUMENT', `input: expected bytes, a string or a stream, got ${describe(input)}`);
  const source: AsyncIterable<unknown> | Iterable<unknown> =
    typeof (input as { getReader?: unknown }).getReader === 'function' ? readAll(input as ReadableStream<unknown>) : (input as AsyncIterable<unknown>);
  for await (const c of source) yield chunkBytes(c, 'input: stream chunks');
}

/** Length of an in-memory input, or undefined for streams. */
export function knownLength(input: WebInput | object): number | undefined {
  if (input instanceof Uint8Array) return input.length;
  if (typeof input === 'string') return utf8(input).length;
  return undefined;
}

export function inMemory(input: WebInput | object): Uint8Array | undefined {
  if (input instanceof Uint8Array) return input;
  if (typeof input === 'string') return utf8(input);
  return undefined;
}

/** `stream(input, options)` or `stream(options)`: which was given. */
export function splitArgs<I, O extends object>(a: I | O | undefined, b: O | undefined): [I | undefined, O] {
  if (a !== undefined && isInput(a)) return [a as I, b ?? ({} as O)];
  return [undefined, (a as O | undefined) ?? ({} as O)];
}
