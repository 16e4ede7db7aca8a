/**
 * Bounded memory through the pool: 1 GiB streamed through a pooled encryptStream into a pooled
 * decryptStream must grow the resident set by at most 64 MiB (the goal), measured after a
 * 64 MiB round trip. That warm-up pays what any first use of the pool costs, whatever the message
 * size: the workers' start, V8's young generations and glibc's arenas grown to their working sizes
 * (60–90 MiB here; bounded apart, ≤ 128 MiB). Each stream keeps at most 2 × pool size batches in
 * flight, their inputs in buffers it reuses from batch to batch (src/pool/batch-pipe.ts); each
 * frame's result is the buffer node:crypto returned in the worker, transferred to this thread and
 * handed on, so it is freed once its reader drops it (src/pool/worker-body.ts). Measured on the
 * development VM: 11–45 MiB growth (6–22 MiB before 2026-12-02, when results were copied through
 * reused buffers instead). A buffering bug would show as hundreds of MiB.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createClient, createWorkerPool, RawAesKeyProvider } from '../src/index';
import { poolWorkerMemory } from '../src/pool/worker-pool';

describe('memory through the pool', () => {
  it('streams 1 GiB (encrypt → decrypt) with RSS growth ≤ 64 MiB after a 64 MiB warm-up (≤ 128 MiB)', async () => {
    const pool = createWorkerPool({ size: 2 });
    try {
      const client = createClient({ keyProvider: RawAesKeyProvider({ namespace: 'm', name: 'k', key: randomBytes(32) }), pool });
      const chunk = randomBytes(1024 * 1024);
      const total = 1024;
      let produced = 0;
      async function* source(chunks: number) {
        for (let i = 0; i < chunks; i++) {
          produced += chunk.length;
          yield chunk;
        }
      }
      // Warm up: a 64 MiB round trip starts the workers and pays the one-time ramp-up of a Node
      // process (V8's young generations and glibc's arenas grown to their working sizes), bounded
      // apart: it is the same for a 64 MiB message as for a 1 GiB one.
      const start = process.memoryUsage().rss;
      let rampUp = 0;
      for await (const _ of client.decryptStream(client.encryptStream(source(64)))) rampUp = Math.max(rampUp, process.memoryUsage().rss - start);
      produced = 0;
      const before = process.memoryUsage().rss;
      let peak = 0;
      let out = 0;
      let sample = 0;
      // Where the memory is: this thread's ArrayBuffers (its allocator) and each worker's, sampled every 32 MiB.
      let mainBuffers = 0;
      const workerBuffers: number[] = [];
      let nextSample = 0;
      for await (const piece of client.decryptStream(client.encryptStream(source(total)))) {
        const p = piece as Uint8Array;
        // Spot-check content: every released byte is the source's.
        if ((sample++ & 63) === 0) expect(p[0]).toBe(chunk[out % chunk.length]);
        out += p.length;
        const m = process.memoryUsage();
        peak = Math.max(peak, m.rss - before);
        mainBuffers = Math.max(mainBuffers, m.arrayBuffers);
        if (out >= nextSample) {
          nextSample += 32 * 2 ** 20;
          (await poolWorkerMemory(pool)).forEach((w, i) => (workerBuffers[i] = Math.max(workerBuffers[i] ?? 0, w.arrayBuffers)));
        }
      }
      expect(produced).toBe(2 ** 30);
      expect(out).toBe(produced);
      const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
      console.log(`1 GiB pooled round trip: peak RSS growth ${mib(peak)} (after the warm-up's ${mib(rampUp)}); peak ArrayBuffers: this thread ${mib(mainBuffers)}, workers ${workerBuffers.map(mib).join(', ')}`);
      expect(peak).toBeLessThanOrEqual(64 * 2 ** 20);
      expect(rampUp).toBeLessThanOrEqual(128 * 2 ** 20);
    } finally {
      await pool.close();
    }
  }, 600_000);
});
