/**
 * The web build's worker pool (dist/web.mjs: createWorkerPool, createClient({ pool / parallelism })),
 * here on a Web Worker shim over Node worker threads (./web-worker-shim.ts; the real runtimes —
 * Chromium, Deno — run test/runtimes' pooled check). Messages written through the pool open on the
 * one-thread client and the other way round, across suites and sizes around frame and batch
 * boundaries; a tampered frame fails with a typed error and nothing from its batch on is released;
 * a worker that dies fails its stream with INTERNAL and is replaced; close() rejects with ABORTED;
 * small messages never reach a worker; without Web Workers the pool is UNSUPPORTED, and where a
 * runtime refuses Blob-URL workers its first task is.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { installWorkerShim, ShimWorker } from './web-worker-shim';
import { random, readAll, streamOf, web } from './web-entry';

const uninstall = installWorkerShim();
const pool = web.createWorkerPool({ size: 2 });
afterAll(async () => {
  await pool.close();
  uninstall();
});
const keyProvider = web.RawAesKeyProvider({ namespace: 'pool', name: 'k', key: random(32) });
const FRAME = 4096;

async function rejection(run: () => Promise<unknown>): Promise<InstanceType<typeof web.StrongroomError>> {
  try {
    await run();
  } catch (e) {
    if (web.StrongroomError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a StrongroomError, got success');
}

/** Read a stream piece by piece into `got` (what was released before any failure). */
async function drain(readable: ReadableStream<Uint8Array>, got: Uint8Array[]): Promise<void> {
  const reader = readable.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    got.push(value);
  }
}

function concat(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Byte equality, fast (toEqual walks a typed array element by element: far too slow at MiB sizes). */
function same(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(Buffer.from(actual.buffer, actual.byteOffset, actual.length), Buffer.from(expected.buffer, expected.byteOffset, expected.length))).toBe(0);
}

const posted = () => ShimWorker.all.reduce((n, w) => n + w.posted, 0);

// Around frame boundaries and the batch of 128 frames (512 KiB at 4 KiB frames); the in-memory
// pool starts above one batch.
const SIZES = [0, FRAME + 1, 128 * FRAME - 1, 128 * FRAME + 1, 300 * FRAME + 7];
const SUITES = [0x0478, 0x0578, 0x0178, 0x0146];

describe.each(SUITES.map((id) => [id.toString(16).padStart(4, '0'), id] as const))('web pool, suite 0x%s', (_name, suite) => {
  const commitmentPolicy = suite < 0x0400 ? web.CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT : web.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT;
  const pooled = web.createClient({ keyProvider, pool, suite, frameLength: FRAME, commitmentPolicy });
  const plain = web.createClient({ keyProvider, suite, frameLength: FRAME, commitmentPolicy });

  it.each(SIZES)('%i bytes: pool → one thread and one thread → pool, in memory and streamed', async (size) => {
    const data = random(size);
    const context = { size: String(size) };
    const a = (await pooled.encrypt(data, { encryptionContext: context })).ciphertext;
    same((await plain.decrypt(a)).plaintext, data);
    const b = await readAll(pooled.encryptStream(streamOf(data, 10_000), { encryptionContext: context }).readable);
    same(await readAll(plain.decryptStream(streamOf(b, 7_000)).readable), data);
    const c = (await plain.encrypt(data, { encryptionContext: context })).ciphertext;
    same((await pooled.decrypt(c, { expectedEncryptionContext: context })).plaintext, data);
    same(await readAll(pooled.decryptStream(streamOf(c, 9_000)).readable), data);
    same(await readAll(pooled.decryptStream(streamOf(b, 65_536)).readable), data);
  });
});

describe('web pool: failures', () => {
  const pooled = web.createClient({ keyProvider, pool, frameLength: FRAME });
  const data = random(600 * FRAME + 77);

  it('sends regular frames to the workers, and small messages to none', async () => {
    const before = posted();
    const small = await pooled.encrypt(data.subarray(0, 100 * FRAME));
    same((await pooled.decrypt(small.ciphertext)).plaintext, data.subarray(0, 100 * FRAME));
    expect(posted()).toBe(before);
    const { ciphertext } = await pooled.encrypt(data);
    expect(posted() - before).toBe(5); // 600 regular frames: four batches of 128 and one of 88
    await pooled.decrypt(ciphertext);
    expect(posted() - before).toBe(10);
  });

  it("hands each frame on in the buffer Web Crypto returned in the worker (one frame per buffer, no batch-sized copy)", async () => {
    const own = (c: Uint8Array, length: number) => c.length === length && c.byteOffset === 0 && c.buffer.byteLength === length;
    const input = data.subarray(0, 300 * FRAME + 5); // 300 regular frames (3 batches) and a final one
    const sealed: Uint8Array[] = [];
    await drain(pooled.encryptStream(streamOf(input, 65_536)).readable, sealed);
    expect(sealed.filter((c) => own(c, FRAME + 16)).length).toBe(300); // ciphertext ‖ tag, as Web Crypto returns it
    const opened: Uint8Array[] = [];
    await drain(pooled.decryptStream(streamOf(concat(sealed), 65_536)).readable, opened);
    expect(opened.filter((c) => own(c, FRAME)).length).toBe(300);
    same(concat(opened), input);
  });

  it('fails a tampered frame with AUTHENTICATION_FAILED after releasing only the batches before it', async () => {
    const { ciphertext } = await pooled.encrypt(data);
    const headerLength = web.parseHeader(ciphertext, { maxEncryptedDataKeys: 10 })!.length;
    const target = 300; // in the third batch of 128 frames
    const copy = ciphertext.slice();
    copy[headerLength + target * (FRAME + 32) + 100]! ^= 1;
    const got: Uint8Array[] = [];
    expect((await rejection(() => drain(pooled.decryptStream(streamOf(copy, 65_536)).readable, got))).code).toBe('AUTHENTICATION_FAILED');
    const released = concat(got);
    expect(released.length).toBeLessThanOrEqual(256 * FRAME);
    expect(released.length % (128 * FRAME)).toBe(0);
    same(released, data.subarray(0, released.length));
    // In memory: nothing at all.
    expect((await rejection(() => pooled.decrypt(copy))).code).toBe('AUTHENTICATION_FAILED');
  });

  it('fails the stream with INTERNAL when a worker dies mid-stream, and the pool replaces it', async () => {
    const big = random(64 * 128 * FRAME);
    const { ciphertext } = await pooled.encrypt(big);
    const got: Uint8Array[] = [];
    const stream = pooled.decryptStream(streamOf(ciphertext, 65_536));
    const crash = setInterval(() => {
      const busy = ShimWorker.all.find((w) => !w.dead && w.busy > 0);
      if (!busy) return;
      clearInterval(crash);
      busy.crash();
    }, 1);
    const error = await rejection(() => drain(stream.readable, got)).finally(() => clearInterval(crash));
    expect(error.code).toBe('INTERNAL');
    const released = concat(got);
    expect(released.length).toBeLessThan(big.length);
    same(released, big.subarray(0, released.length));
    same((await pooled.decrypt(ciphertext)).plaintext, big);
  });

  it('close() rejects in-flight and later work with ABORTED; small messages still work', async () => {
    const own = web.createWorkerPool({ size: 2 });
    const client = web.createClient({ keyProvider, pool: own, frameLength: FRAME });
    const { ciphertext } = await client.encrypt(data);
    const running = client.decrypt(ciphertext);
    setTimeout(() => void own.close(), 0);
    expect((await rejection(() => running)).code).toBe('ABORTED');
    expect((await rejection(() => client.encrypt(data))).code).toBe('ABORTED');
    const small = await client.encrypt(data.subarray(0, FRAME));
    same((await client.decrypt(small.ciphertext)).plaintext, data.subarray(0, FRAME));
  });

  it('refuses bad options with INVALID_ARGUMENT', async () => {
    const { nobleBackend } = await import('../src/noble');
    for (const options of [{ parallelism: 0 }, { parallelism: 2, pool }, { pool: { size: 2, close: async () => {} } }, { pool, backend: nobleBackend }]) {
      expect(() => web.createClient({ keyProvider, ...options } as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(() => web.createWorkerPool({ size: 257 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('a runtime that refuses Blob-URL workers (CSP): the pool is created, its first task and every later one fail with UNSUPPORTED', async () => {
    const g = globalThis as { Worker?: unknown };
    const shim = g.Worker;
    g.Worker = class {
      constructor() {
        throw new Error('Refused to create a worker from blob: (worker-src)');
      }
    };
    try {
      // Started on first use (the pool's code loads then): creating it succeeds.
      const refused = web.createWorkerPool({ size: 2 });
      const client = web.createClient({ keyProvider, pool: refused, frameLength: FRAME });
      for (let i = 0; i < 2; i++) {
        const error = await rejection(() => client.encrypt(data));
        expect(error.code).toBe('UNSUPPORTED');
        expect(error.message).toMatch(/worker-src blob:/);
      }
      await refused.close();
      // Small messages never needed the pool.
      const small = await client.encrypt(data.subarray(0, FRAME));
      same((await client.decrypt(small.ciphertext)).plaintext, data.subarray(0, FRAME));
    } finally {
      g.Worker = shim;
    }
  });

  it('is UNSUPPORTED where the runtime has no Web Workers; parallelism 1 runs on the calling thread there', async () => {
    const g = globalThis as { Worker?: unknown };
    const shim = g.Worker;
    delete g.Worker;
    try {
      expect(() => web.createWorkerPool()).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
      expect(() => web.createClient({ keyProvider, parallelism: 2 })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
      const one = web.createClient({ keyProvider, parallelism: 1, frameLength: FRAME });
      const { ciphertext } = await one.encrypt(data);
      same((await one.decrypt(ciphertext)).plaintext, data);
    } finally {
      g.Worker = shim;
    }
  });
});
