/**
 * The worker pool (createWorkerPool, createClient({ pool / parallelism })): messages written through
 * the pool decrypt on the one-thread client and the other way round, across suites and sizes around
 * frame and batch boundaries; tampering, reordering and truncation fail with typed errors through the
 * pool and release nothing unverified; a worker that dies fails its stream with a typed error and is
 * replaced; close() rejects in-flight work.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { CommitmentPolicy, createClient, createWorkerPool, parseHeader, RawAesKeyProvider, StrongroomError } from '../src/index';
import { poolWorkers } from '../src/pool/worker-pool';

const keyProvider = RawAesKeyProvider({ namespace: 'pool', name: 'k', key: randomBytes(32) });
const pool = createWorkerPool({ size: 2 });
afterAll(() => pool.close());

/** A stream of `data` in chunks of varying size (so frames straddle chunks). */
function chunked(data: Uint8Array): Readable {
  const pieces: Uint8Array[] = [];
  for (let at = 0, n = 1; at < data.length; at += n, n = (n * 7 + 3) % 70_000 || 1) pieces.push(data.subarray(at, at + n));
  return Readable.from(pieces, { objectMode: false });
}

async function collect(stream: AsyncIterable<unknown>, got?: Uint8Array[]): Promise<Buffer> {
  const out = got ?? [];
  for await (const c of stream) out.push(c as Uint8Array);
  return Buffer.concat(out);
}

/** Byte equality (Buffer or Uint8Array), reported by length and first difference. */
function same(actual: Uint8Array, expected: Uint8Array): void {
  const a = Buffer.from(actual.buffer, actual.byteOffset, actual.length);
  const b = Buffer.from(expected.buffer, expected.byteOffset, expected.length);
  expect(a.length).toBe(b.length);
  expect(a.equals(b)).toBe(true);
}

async function rejection(run: () => Promise<unknown>): Promise<StrongroomError> {
  try {
    await run();
  } catch (e) {
    if (StrongroomError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a StrongroomError, got success');
}

const FRAME = 4096;
// Around frame boundaries and around the pool's batch of 128 frames (512 KiB at 4 KiB frames).
const SIZES = [0, 1, FRAME - 1, FRAME, FRAME + 1, 2 * FRAME, 128 * FRAME - 1, 128 * FRAME, 128 * FRAME + 1, 300 * FRAME + 7];
const SUITES = [0x0478, 0x0578, 0x0178, 0x0378, 0x0014];

describe.each(SUITES.map((id) => [id.toString(16).padStart(4, '0'), id] as const))('suite 0x%s through the pool', (_name, suite) => {
  const commitmentPolicy = suite < 0x0400 ? CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT : CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT;
  const pooled = createClient({ keyProvider, pool, suite, frameLength: FRAME, commitmentPolicy });
  const plain = createClient({ keyProvider, suite, frameLength: FRAME, commitmentPolicy });

  it.each(SIZES)('%i bytes: pool → one thread and one thread → pool, in memory and streamed', async (size) => {
    const data = randomBytes(size);
    const context = { size: String(size) };
    const a = (await pooled.encrypt(data, { encryptionContext: context })).ciphertext;
    same((await plain.decrypt(a)).plaintext, data);
    const b = await collect(pooled.encryptStream(chunked(data), { encryptionContext: context }));
    same(await collect(plain.decryptStream(chunked(b))), data);
    const c = (await plain.encrypt(data, { encryptionContext: context })).ciphertext;
    same((await pooled.decrypt(c, { expectedEncryptionContext: context })).plaintext, data);
    same(await collect(pooled.decryptStream(chunked(c))), data);
    same(await collect(pooled.decryptStream(chunked(b))), data);
  });
});

describe('non-framed messages and options', () => {
  it('writes and reads non-framed messages (frameLength 0) through a pooled client', async () => {
    for (const suite of [0x0478, 0x0578]) {
      const pooled = createClient({ keyProvider, pool, suite, frameLength: 0 });
      const plain = createClient({ keyProvider, suite });
      const data = randomBytes(700_000);
      const { ciphertext } = await pooled.encrypt(data);
      same((await plain.decrypt(ciphertext)).plaintext, data);
      same((await pooled.decrypt(ciphertext)).plaintext, data);
    }
  });

  it('refuses bad pool options with INVALID_ARGUMENT', async () => {
    const { nobleBackend } = await import('../src/noble');
    for (const options of [{ parallelism: 0 }, { parallelism: 1.5 }, { parallelism: 2, pool }, { pool: { size: 2, close: async () => {} } }, { pool, backend: nobleBackend }]) {
      expect(() => createClient({ keyProvider, ...options } as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(() => createWorkerPool({ size: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('gives a client with parallelism its own pool', async () => {
    const client = createClient({ keyProvider, parallelism: 1, frameLength: FRAME });
    const data = randomBytes(200 * FRAME);
    const { ciphertext } = await client.encrypt(data);
    same((await createClient({ keyProvider }).decrypt(ciphertext)).plaintext, data);
  });
});

describe.each([['0478', 0x0478], ['0578', 0x0578]] as const)('tampering through the pool, suite 0x%s', (_name, suite) => {
  const frameLength = 64;
  const pooled = createClient({ keyProvider, pool, suite, frameLength });
  const data = randomBytes(frameLength * 2 + 17); // two regular frames and a final one

  it('rejects every single-bit flip of the stream and releases no frame whose batch did not verify', async () => {
    const { ciphertext } = await pooled.encrypt(data);
    for (let i = 0; i < ciphertext.length; i++) {
      for (const bit of [0, 7]) {
        const copy = new Uint8Array(ciphertext);
        copy[i]! ^= 1 << bit;
        const got: Uint8Array[] = [];
        // A typed error of whichever check the flip hits first (tag, commitment, layout, limits).
        await rejection(() => collect(pooled.decryptStream(copy), got));
        // The two regular frames are one batch (opened all or nothing); the final one is held to the end.
        expect(Buffer.concat(got).length).toBe(0);
      }
    }
  });

  it('rejects reordered frames and every truncation with typed errors', async () => {
    const { ciphertext } = await pooled.encrypt(data);
    const frame = 16 + frameLength + 16;
    const start = parseHeader(ciphertext, { maxEncryptedDataKeys: 10 })!.length;
    const swapped = new Uint8Array(ciphertext);
    swapped.set(ciphertext.subarray(start + frame, start + 2 * frame), start);
    swapped.set(ciphertext.subarray(start, start + frame), start + frame);
    expect((await rejection(() => collect(pooled.decryptStream(swapped)))).code).toBe('MALFORMED');
    for (let n = 0; n < ciphertext.length; n++) {
      const got: Uint8Array[] = [];
      await rejection(() => collect(pooled.decryptStream(ciphertext.subarray(0, n)), got));
      // Never the final frame, and never more than the regular frames.
      expect(Buffer.concat(got).length).toBeLessThanOrEqual(2 * frameLength);
    }
  });
});

describe('a large message through the pool', () => {
  const frameLength = 64 * 1024;
  const pooled = createClient({ keyProvider, pool, frameLength });
  const data = randomBytes(24 * 1024 * 1024);

  it('fails a tampered frame in the middle after releasing only the frames before its batch', async () => {
    const { ciphertext } = await pooled.encrypt(data);
    const frame = 16 + frameLength + 16;
    const headerLength = parseHeader(ciphertext, { maxEncryptedDataKeys: 10 })!.length;
    const target = 200; // frame 201, in the 26th batch of 8 frames
    const copy = new Uint8Array(ciphertext);
    copy[headerLength + target * frame + 100]! ^= 1;
    const got: Uint8Array[] = [];
    expect((await rejection(() => collect(pooled.decryptStream(chunked(copy)), got))).code).toBe('AUTHENTICATION_FAILED');
    const released = Buffer.concat(got);
    expect(released.length).toBeLessThanOrEqual(target * frameLength);
    expect(released.length % frameLength).toBe(0);
    expect(released.equals(data.subarray(0, released.length))).toBe(true);
  });

  it("hands each frame on in the buffer the worker's cipher returned (one frame per buffer, no batch-sized copy)", async () => {
    // Flowing mode: each 'data' chunk is one piece as the stream pushed it (Node wraps a Uint8Array's
    // buffer without copying it).
    const chunksOf = (stream: NodeJS.ReadableStream) =>
      new Promise<Uint8Array[]>((resolve, reject) => {
        const got: Uint8Array[] = [];
        stream.on('data', (c: Uint8Array) => got.push(c));
        stream.on('end', () => resolve(got));
        stream.on('error', reject);
      });
    const wholeFrame = (c: Uint8Array) => c.length === frameLength && c.byteOffset === 0 && c.buffer.byteLength === frameLength;
    const input = data.subarray(0, 40 * frameLength + 5); // 40 regular frames (5 batches) and a final one
    const sealed = await chunksOf(pooled.encryptStream(Readable.from([input])));
    expect(sealed.filter(wholeFrame)).toHaveLength(40);
    const opened = await chunksOf(pooled.decryptStream(Readable.from([Buffer.concat(sealed)])));
    expect(opened.filter(wholeFrame)).toHaveLength(40);
    same(Buffer.concat(opened), input);
  });

  it('fails the stream with a typed error when a worker dies mid-stream, and the pool replaces it', async () => {
    const { ciphertext } = await pooled.encrypt(data);
    let failed: StrongroomError | undefined;
    for (let attempt = 0; attempt < 5 && !failed; attempt++) {
      const got: Uint8Array[] = [];
      const stream = pooled.decryptStream(chunked(ciphertext));
      let killed = false;
      stream.on('data', () => {
        if (killed) return;
        const busy = poolWorkers(pool).find((w) => w.busy > 0);
        if (busy) {
          killed = true;
          void busy.worker.terminate();
        }
      });
      try {
        await collect(stream, got);
      } catch (e) {
        if (!StrongroomError.isInstance(e)) throw e;
        failed = e;
        const released = Buffer.concat(got);
        expect(released.length % frameLength).toBe(0);
        expect(released.equals(data.subarray(0, released.length))).toBe(true);
        expect(released.length).toBeLessThan(data.length);
      }
    }
    expect(failed?.code).toBe('INTERNAL');
    expect(poolWorkers(pool)).toHaveLength(2);
    same((await pooled.decrypt(ciphertext)).plaintext, data);
  });

  it('close() rejects in-flight work with ABORTED; small messages never touch the pool', async () => {
    const own = createWorkerPool({ size: 2 });
    const client = createClient({ keyProvider, pool: own, frameLength });
    const { ciphertext } = await client.encrypt(data);
    const running = client.decrypt(ciphertext);
    const stream = collect(client.encryptStream(chunked(data)));
    setImmediate(() => void own.close());
    expect((await rejection(() => running)).code).toBe('ABORTED');
    expect((await rejection(() => stream)).code).toBe('ABORTED');
    expect((await rejection(() => client.encrypt(data))).code).toBe('ABORTED');
    // One frame: sealed and opened on the calling thread, so a closed pool does not matter.
    const small = await client.encrypt(data.subarray(0, frameLength));
    same((await client.decrypt(small.ciphertext)).plaintext, data.subarray(0, frameLength));
  });
});
