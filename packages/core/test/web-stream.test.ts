/**
 * Streaming on the web entry (built dist/web.mjs): a 128 MiB message through encryptStream and
 * decryptStream, unsigned and signed, in bounded memory — a stream that buffered the message would
 * grow by at least its 128 MiB.
 */
import { describe, expect, it } from 'vitest';
import { random, web } from './web-entry';

describe('web streams in bounded memory', () => {
  for (const suite of [0x0478, 0x0578]) {
    it(`suite ${suite.toString(16)}: 128 MiB round trip, peak RSS growth under 100 MiB`, async () => {
      const client = web.createClient({ keyProvider: web.RawAesKeyProvider({ namespace: 'm', name: 'k', key: random(32) }), suite });
      const chunk = random(65536);
      const chunks = 128 * 16;
      let produced = 0;
      const source = new ReadableStream<Uint8Array>({
        pull(c) {
          if (produced === chunks) return c.close();
          produced++;
          c.enqueue(chunk.slice());
        },
      });
      const before = process.memoryUsage().rss;
      let peak = 0;
      let out = 0;
      let matches = true;
      const reader = source.pipeThrough(client.encryptStream()).pipeThrough(client.decryptStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        // Every 64 KiB of plaintext is `chunk` again: compare as it goes (frames align with chunks).
        for (let i = 0; i < value.length; i += 4099) matches &&= value[i] === chunk[(out + i) % chunk.length];
        out += value.length;
        peak = Math.max(peak, process.memoryUsage().rss - before);
      }
      expect(out).toBe(128 * 2 ** 20);
      expect(matches).toBe(true);
      console.log(`web entry, suite ${suite.toString(16)}: 128 MiB round trip, peak RSS growth ${(peak / 2 ** 20).toFixed(1)} MiB`);
      expect(peak).toBeLessThan(100 * 2 ** 20);
    }, 240_000);
  }
});
