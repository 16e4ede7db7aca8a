/**
 * Bodies on the web entry, over WHATWG streams (https://streams.spec.whatwg.org/): what PutObject and
 * upload() accept (bytes, a string, a Blob/File, a ReadableStream, an async iterable), and GetObject
 * bodies as the AWS SDK's browser build returns them — a ReadableStream with its stream mixin
 * (`transformToByteArray` / `transformToString` / `transformToWebStream`). No Node API.
 */
import { StrongroomError } from '@strongroom/core';
import { concatBytes } from './bytes';

/** What a web PutObject / upload() body may be. */
export type WebBody = string | Uint8Array | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** The plaintext length of a body, when it is known without reading it. */
export function knownLength(body: unknown): number | undefined {
  if (body === undefined || body === null) return 0;
  if (typeof body === 'string') return new TextEncoder().encode(body).length;
  if (body instanceof Uint8Array) return body.length;
  if (typeof Blob !== 'undefined' && body instanceof Blob) return body.size;
  return undefined;
}

/** A byte stream over any accepted body (a Node Readable is an async iterable too). */
export function byteStream(body: unknown): ReadableStream<Uint8Array> {
  if (body === undefined || body === null) return singleChunk(new Uint8Array(0));
  if (typeof body === 'string') return singleChunk(new TextEncoder().encode(body));
  if (body instanceof Uint8Array) return singleChunk(body);
  if (typeof Blob !== 'undefined' && body instanceof Blob) return body.stream() as ReadableStream<Uint8Array>;
  if (typeof (body as ReadableStream).getReader === 'function') return body as ReadableStream<Uint8Array>;
  const iterable = body as AsyncIterable<Uint8Array>;
  if (typeof iterable?.[Symbol.asyncIterator] === 'function') {
    const it = iterable[Symbol.asyncIterator]();
    return new ReadableStream<Uint8Array>({
      async pull(c) {
        const r = await it.next();
        if (r.done) c.close();
        else c.enqueue(r.value instanceof Uint8Array ? r.value : new Uint8Array(r.value));
      },
      async cancel() {
        await it.return?.();
      },
    });
  }
  throw new StrongroomError('INVALID_ARGUMENT', 'Body: expected a string, Uint8Array, Blob, ReadableStream or async iterable of bytes');
}

function singleChunk(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(c) {
      if (bytes.length > 0) c.enqueue(bytes);
      c.close();
    },
  });
}

/** Read a whole stream into memory, failing (and cancelling it) once it exceeds `limit` bytes. */
export async function readAll(stream: ReadableStream<Uint8Array>, limit: number, what: string): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      total += r.value.length;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw new StrongroomError('LIMIT_EXCEEDED', `${what}: more than ${limit} bytes`);
      }
      chunks.push(r.value);
    }
  } finally {
    reader.releaseLock();
  }
  return chunks.length === 1 ? chunks[0]! : concatBytes(chunks, total);
}

/** Release a response body we will not read (frees the connection). */
export function cancelBody(body: unknown): void {
  if (typeof (body as ReadableStream)?.cancel === 'function') void (body as ReadableStream).cancel().catch(() => {});
  else if (typeof (body as { destroy?: () => void })?.destroy === 'function') (body as { destroy: () => void }).destroy();
}

/** The AWS SDK's stream mixin on a web GetObject body. */
export interface WebSdkStreamMixin {
  /** The whole body, read to its end (every frame authenticated), as bytes. */
  transformToByteArray(): Promise<Uint8Array>;
  /** The whole body, read to its end, decoded as text (default UTF-8). */
  transformToString(encoding?: string): Promise<string>;
  /** The body as the ReadableStream it is (each piece released after it authenticates). */
  transformToWebStream(): ReadableStream<Uint8Array>;
}

/** A decrypted body: a ReadableStream with the SDK's `transformTo…` helpers. */
export type WebSdkBody = ReadableStream<Uint8Array> & WebSdkStreamMixin;

/** Add the SDK stream mixin to a stream (each helper may be used once, as the SDK's). */
export function sdkBody(stream: ReadableStream<Uint8Array>): WebSdkBody {
  let used = false;
  const once = () => {
    if (used) throw new Error('The stream has already been transformed.');
    used = true;
  };
  return Object.assign(stream, {
    async transformToByteArray() {
      once();
      return readAll(stream, Number.MAX_SAFE_INTEGER, 'body');
    },
    async transformToString(encoding = 'utf-8') {
      once();
      return new TextDecoder(encoding).decode(await readAll(stream, Number.MAX_SAFE_INTEGER, 'body'));
    },
    transformToWebStream() {
      once();
      return stream;
    },
  });
}
