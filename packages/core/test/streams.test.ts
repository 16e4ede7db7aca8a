import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { createClient, RawAesKeyProvider, StrongroomError, toWebReadable, toWebTransform } from '../src/index';

const provider = RawAesKeyProvider({ namespace: 's', name: 'k', key: randomBytes(32) });

describe('inputs and outputs', () => {
  const client = createClient({ keyProvider: provider, frameLength: 4096 });
  const plaintext = randomBytes(50_000);

  it('accepts Uint8Array, string, Node Readable, Web ReadableStream and (async) iterables', async () => {
    const web = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(plaintext.subarray(0, 10_000));
        c.enqueue(plaintext.subarray(10_000));
        c.close();
      },
    });
    async function* gen() {
      yield plaintext.subarray(0, 1);
      yield plaintext.subarray(1);
    }
    for (const input of [plaintext, Readable.from([plaintext]), web, gen(), [plaintext.subarray(0, 5), plaintext.subarray(5)]]) {
      const { ciphertext } = await client.encrypt(input as never);
      expect(Buffer.from((await client.decrypt(ciphertext)).plaintext).equals(plaintext)).toBe(true);
    }
    const { ciphertext } = await client.encrypt('héllo');
    expect(Buffer.from((await client.decrypt(ciphertext)).plaintext).toString()).toBe('héllo');
  });

  it('rejects non-byte inputs with a typed error', async () => {
    await expect(client.encrypt(42 as never)).rejects.toSatisfy((e) => StrongroomError.isInstance(e, 'INVALID_ARGUMENT'));
    await expect(client.encrypt([1, 2, 3] as never)).rejects.toSatisfy((e) => StrongroomError.isInstance(e, 'INVALID_ARGUMENT'));
  });

  it('adapts to Web streams', async () => {
    const readable = toWebReadable(client.encryptStream(plaintext));
    const ciphertext = Buffer.from(await new Response(readable as never).arrayBuffer());
    const { readable: out, writable } = toWebTransform(client.decryptStream());
    const reading = new Response(out as never).arrayBuffer(); // read while writing (backpressure)
    const writer = writable.getWriter();
    await writer.write(ciphertext);
    await writer.close();
    expect(Buffer.from(await reading).equals(plaintext)).toBe(true);
  });

  it("emits the header event and honours abortSignal", async () => {
    const stream = client.encryptStream(plaintext, { encryptionContext: { a: 'b' } });
    const header = new Promise((resolve) => stream.once('header', resolve));
    await buffer(stream);
    expect((await header as { encryptionContext: Record<string, string> }).encryptionContext.a).toBe('b');

    const controller = new AbortController();
    async function* slow() {
      yield plaintext;
      controller.abort();
      await new Promise((r) => setTimeout(r, 10));
      yield plaintext;
    }
    await expect(buffer(client.encryptStream(slow(), { abortSignal: controller.signal }))).rejects.toSatisfy(
      (e) => (e as Error).name === 'AbortError',
    );
  });

  it('refuses to stream non-framed output and caps frame size when streaming in', async () => {
    const nonFramed = createClient({ keyProvider: provider, frameLength: 0 });
    await expect(buffer(nonFramed.encryptStream(plaintext))).rejects.toSatisfy((e) => StrongroomError.isInstance(e, 'INVALID_ARGUMENT'));
    const { ciphertext } = await nonFramed.encrypt(plaintext); // one-shot non-framed is fine
    const capped = createClient({ keyProvider: provider, maxFrameLength: 1000 });
    await expect(buffer(capped.decryptStream(ciphertext))).rejects.toSatisfy((e) => StrongroomError.isInstance(e, 'LIMIT_EXCEEDED'));
    expect(Buffer.from((await capped.decrypt(ciphertext)).plaintext).equals(plaintext)).toBe(true);
  });

  it('streams 256 MiB through encrypt and decrypt with bounded memory', async () => {
    const client64k = createClient({ keyProvider: provider });
    const chunk = randomBytes(1 << 20);
    let produced = 0;
    async function* source() {
      for (let i = 0; i < 256; i++) {
        produced += chunk.length;
        yield chunk;
      }
    }
    const before = process.memoryUsage().rss;
    let peak = 0;
    let out = 0;
    for await (const piece of client64k.decryptStream(client64k.encryptStream(source()))) {
      out += (piece as Uint8Array).length;
      peak = Math.max(peak, process.memoryUsage().rss - before);
    }
    expect(out).toBe(produced);
    expect(produced).toBe(256 * 2 ** 20);
    console.log(`256 MiB round trip: peak RSS growth ${(peak / 2 ** 20).toFixed(1)} MiB`);
    expect(peak).toBeLessThan(128 * 2 ** 20);
  }, 120_000);
});

describe('header parsing cost under trickled input', () => {
  it('parses a header delivered one byte at a time with linear work', async () => {
    const client = createClient({ keyProvider: provider, maxEncryptedDataKeys: 10 });
    // A header with a large encryption context (~60 KiB) sent in 1-byte chunks: a decoder that
    // re-parsed the whole prefix per chunk would do ~1.8 GB of copying; linear parsing does not.
    const context: Record<string, string> = {};
    for (let i = 0; i < 60; i++) context[`k${i}`] = 'v'.repeat(1000);
    const { ciphertext } = await client.encrypt('payload', { encryptionContext: context });
    const header = ciphertext.subarray(0, ciphertext.length - 40);
    const stream = client.decryptStream();
    const started = process.cpuUsage();
    for (let i = 0; i < header.length; i++) stream.write(header.subarray(i, i + 1));
    stream.end(ciphertext.subarray(header.length));
    const out = await buffer(stream);
    expect(out.toString()).toBe('payload');
    const cpu = process.cpuUsage(started);
    console.log(`${header.length} one-byte chunks parsed in ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU`);
    // A regression guard, not a speed claim: re-parsing the prefix per chunk costs many minutes here.
    expect(cpu.user + cpu.system).toBeLessThan(60e6);
  });
});
