/**
 * The web entries as built (dist/web.mjs, dist/web-streams.mjs), typed by their sources: the web tests run the bundle a browser
 * or worker would load, on Node's own Web Crypto and WHATWG streams. `npm test` builds first.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as Streams from '../src/streams';
import type * as Web from '../src/web';

const built = new URL('../dist/web.mjs', import.meta.url);
if (!existsSync(fileURLToPath(built))) throw new Error('packages/core/dist/web.mjs is missing: run `npm run build -w @strongroom/core` first');

export const web = (await import(/* @vite-ignore */ built.href)) as typeof Web;

/** Read a ReadableStream to one buffer. */
export async function readAll(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(readable).arrayBuffer());
}

/** A ReadableStream of `bytes` in pieces of `size`. */
export function streamOf(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.subarray(at, at + size));
      at += size;
    },
  });
}

export const random = (n: number): Uint8Array => {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
  return out;
};

/**
 * An endless stream of random 1,000-byte chunks that aborts `controller` (as a user would) when it is
 * pulled for the third time: what a stream does when the caller gives up in the middle.
 */
export function endlessUntilAborted(controller: AbortController): ReadableStream<Uint8Array> {
  let pulled = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (++pulled === 3) controller.abort(new Error('user cancelled'));
      c.enqueue(random(1000));
    },
  });
}

/** As a plain Uint8Array (a Buffer from the Node entry compares equal by bytes only then). */
export const u8 = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

const builtStreams = new URL('../dist/web-streams.mjs', import.meta.url);
/** `@strongroom/core/streams` as built (dist/web-streams.mjs), typed by its source. */
export const streams = (await import(/* @vite-ignore */ builtStreams.href)) as typeof Streams;
