/**
 * Bounded memory through the pool: 1 GiB streamed through a pooled encryptStream into a pooled
 * decryptStream must grow the resident set by at most 64 MiB (the issue's goal). Each stream keeps
 * at most 2 × pool size batches (≤ 4 MiB here, inputs and outputs) in flight, whatever the message
 * size; the rest is garbage awaiting collection, per V8 isolate. This thread: the batches' output
 * buffers, once consumed, wait for its own collector (not tuned by the pool: its ArrayBuffers peak
 * at 50–65 MiB, as one thread's do). Each worker: node:crypto's per-frame output buffers, freed
 * within a few MiB by the worker's paced scavenges (small young generation + pacing allocations,
 * src/pool/worker-body.ts): ~4–5 MiB each (~30 MiB each before). Measured on the development VM:
 * 38–62 MiB growth in ten runs, one at 67.7 MiB. A buffering bug would show as hundreds of MiB.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createClient, createWorkerPool, RawAesKeyProvider } from '../src/index';
import { poolWorkerMemory } from '../src/pool/worker-pool';

describe('memory through the pool', () => {
  it('streams 1 GiB (encrypt → decrypt) with RSS growth ≤ 64 MiB', async () => {
    const pool = createWorkerPool({ size: 2 });
    try {
      const client = createClient({ keyProvider: RawAesKeyProvider({ namespace: 'm', name: 'k', key: randomBytes(32) }), pool });
      const chunk = randomBytes(1024 * 1024);
      const total = 1024;
      let produced = 0;
      async function* source() {
        for (let i = 0; i < total; i++) {
          produced += chunk.length;
          yield chunk;
        }
      }
      // Warm up: workers started and their heaps grown to a working size before the baseline.
      for await (const _ of client.decryptStream(client.encryptStream(randomBytes(8 * 1024 * 1024)))) void _;
      const before = process.memoryUsage().rss;
      let peak = 0;
      let out = 0;
      let sample = 0;
      // Where the memory is: this thread's ArrayBuffers (its allocator) and each worker's, sampled every 32 MiB.
      let mainBuffers = 0;
      const workerBuffers: number[] = [];
      let nextSample = 0;
      for await (const piece of client.decryptStream(client.encryptStream(source()))) {
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
      console.log(`1 GiB pooled round trip: peak RSS growth ${mib(peak)}; peak ArrayBuffers: this thread ${mib(mainBuffers)}, workers ${workerBuffers.map(mib).join(', ')}`);
      expect(peak).toBeLessThanOrEqual(64 * 2 ** 20);
    } finally {
      await pool.close();
    }
  }, 600_000);
});
