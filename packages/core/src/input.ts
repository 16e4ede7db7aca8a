/**
 * Accepted plaintext/ciphertext inputs: Uint8Array, string (UTF-8), Node Readable, Web
 * ReadableStream, and any (async) iterable of Uint8Array/string chunks.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { describe, utf8 } from './bytes';
import { StrongroomError } from './errors';

/** What encrypt and decrypt accept: bytes, a string (UTF-8), or a Node/Web stream or async iterable of bytes. */
export type Input =
  | Uint8Array
  | string
  | Readable
  | WebReadableStream<Uint8Array>
  | globalThis.ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>
  | Iterable<Uint8Array | string>;

export function isInput(value: unknown): value is Input {
  if (value instanceof Uint8Array || typeof value === 'string') return true;
  if (typeof value !== 'object' || value === null) return false;
  return (
    typeof (value as { getReader?: unknown }).getReader === 'function' ||
    typeof (value as { pipe?: unknown }).pipe === 'function' ||
    Symbol.asyncIterator in value ||
    Symbol.iterator in value
  );
}

function chunk(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return utf8(value);
  throw new StrongroomError('INVALID_ARGUMENT', `input: stream chunks must be Uint8Array or string, got ${describe(value)}`);
}

/** Iterate the input as byte chunks. In-memory inputs yield one chunk. */
export async function* chunksOf(input: Input): AsyncGenerator<Uint8Array> {
  if (input instanceof Uint8Array || typeof input === 'string') {
    yield chunk(input);
    return;
  }
  if (!isInput(input)) throw new StrongroomError('INVALID_ARGUMENT', `input: expected bytes, a string or a stream, got ${describe(input)}`);
  const source: AsyncIterable<unknown> | Iterable<unknown> =
    typeof (input as { getReader?: unknown }).getReader === 'function'
      ? Readable.fromWeb(input as WebReadableStream<Uint8Array>)
      : (input as AsyncIterable<unknown>);
  for await (const c of source) yield chunk(c);
}

/** Length of an in-memory input, or undefined for streams. */
export function knownLength(input: Input): number | undefined {
  if (input instanceof Uint8Array) return input.length;
  if (typeof input === 'string') return Buffer.byteLength(input, 'utf8');
  return undefined;
}

export function inMemory(input: Input): Uint8Array | undefined {
  if (input instanceof Uint8Array) return input;
  if (typeof input === 'string') return utf8(input);
  return undefined;
}
