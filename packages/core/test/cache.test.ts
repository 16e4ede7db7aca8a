import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createClient, createDataKeyCache, type DataKeyCache, type KeyProvider, RawAesKeyProvider, StrongroomError } from '../src/index';
import type { EncryptionMaterials } from '../src/materials';

/** A real provider wrapped to count calls and keep the keys it hands out (to observe wiping). */
function counting(inner: KeyProvider) {
  const counts = { generate: 0, encrypt: 0, decrypt: 0 };
  const handedOut: Uint8Array[] = [];
  const provider: KeyProvider = {
    providerId: inner.providerId,
    cacheIdentity: inner.cacheIdentity,
    async generateDataKey(r) {
      counts.generate++;
      await new Promise((resolve) => setTimeout(resolve, 5)); // a backend round trip
      const out = await inner.generateDataKey(r);
      handedOut.push(out.plaintextKey);
      return out;
    },
    async encryptDataKey(r) {
      counts.encrypt++;
      return inner.encryptDataKey(r);
    },
    async decryptDataKey(r) {
      counts.decrypt++;
      const key = await inner.decryptDataKey(r);
      if (key) handedOut.push(key);
      return key;
    },
  };
  return { provider, counts, handedOut };
}
const raw = () => RawAesKeyProvider({ namespace: 'cache', name: 'k', key: randomBytes(32) });

describe('data-key cache', () => {
  it('reuses one data key for many encrypts under one context, and collapses concurrent requests', async () => {
    const { provider, counts } = counting(raw());
    const cache = createDataKeyCache({ capacity: 10, maxAge: 60_000 });
    const client = createClient({ keyProvider: provider, cache });
    await Promise.all(Array.from({ length: 50 }, () => client.encrypt('x', { encryptionContext: { a: '1' } })));
    for (let i = 0; i < 200; i++) await client.encrypt('x', { encryptionContext: { a: '1' } });
    expect(counts.generate).toBe(1);
    expect(cache.stats.collapsed).toBeGreaterThan(0);
    await client.encrypt('x', { encryptionContext: { a: '2' } });
    expect(counts.generate).toBe(2); // a different context is a different partition
  });

  it('keys each call by its own context when contexts alternate (the last key is reused only for the same context)', async () => {
    const { provider, counts } = counting(raw());
    const client = createClient({ keyProvider: provider, cache: createDataKeyCache({ capacity: 10, maxAge: 60_000 }) });
    const edkOf = new Map<string, string>();
    const messages: Array<[string, Uint8Array]> = [];
    for (let i = 0; i < 12; i++) {
      const a = ['1', '2', '3'][i % 3]!;
      const { ciphertext, header } = await client.encrypt(`m${i}`, { encryptionContext: { a } });
      const edk = Buffer.from(header.encryptedDataKeys[0]!.ciphertext).toString('hex');
      expect(edkOf.get(a) ?? edk).toBe(edk); // one data key per context, never another context's
      edkOf.set(a, edk);
      messages.push([a, ciphertext]);
    }
    expect(counts.generate).toBe(3);
    expect(new Set(edkOf.values()).size).toBe(3);
    // Decrypt keys alternate too: each message opens, under its own context only.
    for (const [a, ciphertext] of messages) {
      const { encryptionContext } = await client.decrypt(ciphertext, { expectedEncryptionContext: { a } });
      expect(encryptionContext.a).toBe(a);
    }
    expect(counts.decrypt).toBe(3);
  });

  it("works with a cache of the caller's own whose calls return plain thenables, not native promises", async () => {
    const { provider, counts } = counting(raw());
    const real = createDataKeyCache();
    // As a promise library's: `then` returns another such thenable, never a native promise.
    type Thenable<T> = { then<U>(ok: (v: T) => U, fail?: (e: unknown) => unknown): Thenable<Awaited<U>> };
    const thenable = <T>(p: Promise<T>): Thenable<T> => ({ then: (ok, fail) => thenable(p.then(ok, fail) as Promise<never>) });
    const leased: Uint8Array[] = [];
    const own = {
      stats: real.stats,
      get size() {
        return real.size;
      },
      clear: () => real.clear(),
      encryptionMaterials: (key: string, length: number | undefined, create: () => Promise<EncryptionMaterials>) =>
        thenable(real.encryptionMaterials(key, length, create).then((m) => (m && leased.push(m.dataKey), m))),
      decryptionKey: (key: string, create: () => Promise<Uint8Array>) => thenable(real.decryptionKey(key, create)),
    } as unknown as DataKeyCache;
    const client = createClient({ keyProvider: provider, cache: own });
    for (let i = 0; i < 3; i++) {
      const { ciphertext } = await client.encrypt(`m${i}`, { encryptionContext: { a: '1' } });
      expect(Buffer.from((await client.decrypt(ciphertext)).plaintext).toString()).toBe(`m${i}`);
    }
    expect(counts.generate).toBe(1);
    expect(leased).toHaveLength(3);
    for (const k of leased) expect(k.every((b) => b === 0)).toBe(true); // every lease wiped after its message
  });

  it('enforces maxMessagesEncrypted and maxBytesEncrypted', async () => {
    const { provider, counts } = counting(raw());
    const client = createClient({ keyProvider: provider, cache: createDataKeyCache({ maxMessagesEncrypted: 10, maxBytesEncrypted: 1000 }) });
    for (let i = 0; i < 100; i++) await client.encrypt('x');
    expect(counts.generate).toBe(10);
    const bytesClient = createClient({ keyProvider: counting(raw()).provider, cache: createDataKeyCache({ maxBytesEncrypted: 1000 }) });
    const { provider: p2, counts: c2 } = counting(raw());
    const byBytes = createClient({ keyProvider: p2, cache: createDataKeyCache({ maxBytesEncrypted: 1000 }) });
    for (let i = 0; i < 10; i++) await byBytes.encrypt(new Uint8Array(300));
    expect(c2.generate).toBe(4); // 3 messages of 300 bytes fit under 1000 per key
    expect(bytesClient).toBeDefined();
  });

  it('expires entries after maxAge and wipes evicted keys', async () => {
    let now = 0;
    const { provider, counts, handedOut } = counting(raw());
    const cache = createDataKeyCache({ maxAge: 1000, now: () => now });
    const client = createClient({ keyProvider: provider, cache });
    await client.encrypt('x');
    await client.encrypt('x');
    expect(counts.generate).toBe(1);
    now = 1500;
    await client.encrypt('x');
    expect(counts.generate).toBe(2);
    expect(handedOut[0]!.every((b) => b === 0)).toBe(true); // the expired key was wiped
    cache.clear();
    expect(handedOut[1]!.every((b) => b === 0)).toBe(true);
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used entry beyond capacity (and wipes it)', async () => {
    const { provider, handedOut } = counting(raw());
    const cache = createDataKeyCache({ capacity: 2 });
    const client = createClient({ keyProvider: provider, cache });
    for (const ctx of ['a', 'b', 'c']) await client.encrypt('x', { encryptionContext: { ctx } });
    expect(cache.size).toBe(2);
    expect(handedOut[0]!.every((b) => b === 0)).toBe(true);
    expect(handedOut[2]!.some((b) => b !== 0)).toBe(true);
  });

  it('recency follows use: a key used again (also right after its own use) survives, the idle one is evicted', async () => {
    const { provider, counts } = counting(raw());
    const cache = createDataKeyCache({ capacity: 2 });
    const client = createClient({ keyProvider: provider, cache });
    const use = (ctx: string) => client.encrypt('x', { encryptionContext: { ctx } });
    await use('a');
    await use('a'); // already the newest: nothing moves
    await use('b');
    await use('a'); // a is newest again, b is the oldest
    await use('a');
    await use('c'); // evicts b
    expect(counts.generate).toBe(3);
    await use('a');
    expect(counts.generate).toBe(3);
    await use('b');
    expect(counts.generate).toBe(4);
    // Decrypt entries live in the same order: the first decrypt unwraps, the next ones hit.
    const m = await client.encrypt('y', { encryptionContext: { ctx: 'd' } });
    for (let i = 0; i < 3; i++) await client.decrypt(m.ciphertext);
    expect(counts.decrypt).toBe(1);
  });

  it('caches unwrapped keys on decrypt, partitioned by client', async () => {
    const { provider, counts } = counting(raw());
    const cache = createDataKeyCache();
    const client = createClient({ keyProvider: provider, cache });
    const { ciphertext } = await client.encrypt('hello');
    for (let i = 0; i < 20; i++) expect(Buffer.from((await client.decrypt(ciphertext)).plaintext).toString()).toBe('hello');
    expect(counts.decrypt).toBe(1);
    const other = createClient({ keyProvider: provider, cache }); // same cache, new partition
    await other.decrypt(ciphertext);
    expect(counts.decrypt).toBe(2);
  });

  it('leases copies: wiping a used lease never corrupts the cached key', async () => {
    const client = createClient({ keyProvider: raw(), cache: createDataKeyCache({ maxMessagesEncrypted: 3 }) });
    const messages = await Promise.all(Array.from({ length: 30 }, (_, i) => client.encrypt(`m${i}`)));
    const out = await Promise.all(messages.map((m) => client.decrypt(m.ciphertext)));
    expect(out.map((o) => Buffer.from(o.plaintext).toString())).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
  });

  it('rejects bad options with typed errors', () => {
    expect(() => createDataKeyCache({ capacity: 0 })).toThrow(StrongroomError);
    expect(() => createDataKeyCache({ maxAge: -1 })).toThrow(/maxAge/);
  });
});
