// One streamed encrypt → decrypt pipeline over `mib` MiB, timed; the same file runs in Node (the
// node:crypto build of @strongroom/core) and, bundled, in Chromium (the Web Crypto build). With a pool
// size > 0 the client's regular frames go through a worker pool of that size (worker_threads in Node,
// Web Workers in Chromium), one pool per size, made on first use and kept.
import { createClient, createWorkerPool, RawAesKeyProvider } from '@strongroom/core';

const pools = new Map();
const poolOf = (size) => {
  if (!pools.has(size)) pools.set(size, createWorkerPool({ size }));
  return pools.get(size);
};

/** Close the pools made so far. */
export async function closePools() {
  for (const pool of pools.values()) await pool.close();
  pools.clear();
}

const readableOf = (s) => (typeof s.getReader !== 'function' && typeof s.readable?.getReader === 'function' ? s.readable : s);

export async function streamRoundTrip(mib, frameLength, poolSize = 0) {
  const keyProvider = RawAesKeyProvider({ namespace: 'bench', name: 'k', key: new Uint8Array(32).fill(7) });
  const client = createClient({ keyProvider, frameLength, ...(poolSize > 0 ? { pool: poolOf(poolSize) } : {}) });
  const chunk = new Uint8Array(64 * 1024).fill(1);
  const total = mib * 1024 * 1024;
  let sent = 0;
  const source = new ReadableStream({
    pull(controller) {
      if (sent >= total) return controller.close();
      controller.enqueue(chunk.slice());
      sent += chunk.length;
    },
  });
  const started = performance.now();
  let received = 0;
  const out = readableOf(client.decryptStream(readableOf(client.encryptStream(source))));
  if (typeof out.getReader === 'function') {
    const reader = out.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.length;
    }
  } else {
    for await (const c of out) received += c.length;
  }
  if (received !== total) throw new Error(`got ${received} of ${total} bytes`);
  return performance.now() - started;
}

/**
 * The ceiling under the stream in a runtime with Web Crypto: the same number of frames, each sealed
 * and opened by one AES-256-GCM `crypto.subtle` call (with a 12-byte IV and the 16-byte tag), one at a
 * time, with no message, stream or copy around them. Timed like streamRoundTrip.
 */
export async function rawWebCrypto(mib, frameLength) {
  const key = await crypto.subtle.importKey('raw', new Uint8Array(32).fill(7), 'AES-GCM', false, ['encrypt', 'decrypt']);
  const frame = new Uint8Array(frameLength).fill(1);
  const frames = Math.ceil((mib * 1024 * 1024) / frameLength);
  const started = performance.now();
  for (let i = 0; i < frames; i++) {
    const iv = new Uint8Array(12);
    new DataView(iv.buffer).setUint32(8, i + 1);
    const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, tagLength: 128 }, key, frame);
    await crypto.subtle.decrypt({ name: 'AES-GCM', iv, tagLength: 128 }, key, sealed);
  }
  return performance.now() - started;
}

globalThis.streamRoundTrip = streamRoundTrip;
globalThis.rawWebCrypto = rawWebCrypto;
