/**
 * Body plumbing between the SDK's input/output shapes and our byte streams.
 *
 * Inputs: everything `PutObjectCommand` accepts (string, Uint8Array/Buffer, Blob, Node Readable, Web
 * ReadableStream, async iterable). Outputs: a Node Readable with the SDK's stream mixin
 * (`transformToByteArray` / `transformToString` / `transformToWebStream`), like a real GetObject Body.
 */
import { Readable } from 'node:stream';
import { StrongroomError } from '@strongroom/core';

export type BodyInput = string | Uint8Array | Blob | Readable | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Bytes of an in-memory body, or undefined when the body is a stream. */
export async function inMemoryBytes(body: unknown): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof Blob !== 'undefined' && body instanceof Blob) return Buffer.from(await body.arrayBuffer());
  return undefined;
}

/** Iterate a body as Buffers. */
export function iterateBody(body: unknown): AsyncIterable<Uint8Array> {
  if (body instanceof Readable) return body;
  if (typeof (body as ReadableStream)?.getReader === 'function') {
    return Readable.fromWeb(body as import('node:stream/web').ReadableStream<Uint8Array>);
  }
  if (typeof (body as AsyncIterable<Uint8Array>)?.[Symbol.asyncIterator] === 'function') return body as AsyncIterable<Uint8Array>;
  throw new StrongroomError('INVALID_ARGUMENT', 'Body: unsupported body type');
}

/** Read a whole body into memory, failing once it exceeds `limit` bytes. */
export async function collect(body: AsyncIterable<Uint8Array>, limit: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > limit) {
      destroyBody(body);
      throw new StrongroomError('LIMIT_EXCEEDED', `${what}: more than ${limit} bytes`);
    }
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

/** Release an upstream body we will not finish reading, so its socket is freed
 * (the AWS SDK for JavaScript v3 keeps a response's socket until its body is read or destroyed). */
export function destroyBody(body: unknown): void {
  if (body instanceof Readable) body.destroy();
  else if (typeof (body as ReadableStream)?.cancel === 'function') void (body as ReadableStream).cancel().catch(() => {});
}

/** The SDK's stream mixin, so decrypted bodies behave like GetObject's `Body`. */
export interface SdkStreamMixin {
  /** Read the whole body as bytes. */
  transformToByteArray(): Promise<Uint8Array>;
  /** Read the whole body as a string. */
  transformToString(encoding?: string): Promise<string>;
  /** The body as a Web stream. */
  transformToWebStream(): ReadableStream;
}

/** A Node stream with the SDK's `transformTo…` helpers, as `GetObject` returns its `Body`. */
export type SdkReadable = Readable & SdkStreamMixin;

/** Wrap a Readable with the SDK stream mixin. */
export function toSdkStream(stream: Readable): SdkReadable {
  let used = false;
  const once = () => {
    if (used) throw new Error('The stream has already been transformed.');
    used = true;
  };
  return Object.assign(stream, {
    async transformToByteArray() {
      once();
      const parts: Buffer[] = [];
      for await (const c of stream) parts.push(c as Buffer);
      return new Uint8Array(Buffer.concat(parts));
    },
    async transformToString(encoding = 'utf-8') {
      once();
      const parts: Buffer[] = [];
      for await (const c of stream) parts.push(c as Buffer);
      return new TextDecoder(encoding).decode(Buffer.concat(parts));
    },
    transformToWebStream() {
      once();
      return Readable.toWeb(stream) as unknown as ReadableStream;
    },
  });
}

/**
 * A byte stream (not object mode) over Buffers. The small highWaterMark keeps one chunk buffered at
 * a time, so `read()` hands chunks over as they are instead of concatenating them (a copy per MiB).
 */
export function readableOf(gen: AsyncIterable<Buffer> | Iterable<Buffer>): SdkReadable {
  return toSdkStream(Readable.from(gen, { objectMode: false, highWaterMark: 16 * 1024 }));
}
