/**
 * The data-key cache is bound to the identity of the wrapping key, never to a caller-chosen name:
 * two tenants sharing one cache and one `cachePartition`, whose providers carry the same
 * namespace/name but different keys, must never see each other's data keys (issue 18 item 6).
 * spec: framework/caching-cmm.md (entries are reused only for the same materials request).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createClient, createDataKeyCache, type KeyProvider, RawAesKeyProvider, RawRsaKeyProvider, StrongroomError } from '../src/index';

const text = (b: Uint8Array) => Buffer.from(b).toString();
const aes = (key: Uint8Array, name = 'k') => RawAesKeyProvider({ namespace: 'tenants', name, key });
const rsaPair = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa = (pair: ReturnType<typeof rsaPair>, name = 'k') =>
  RawRsaKeyProvider({ namespace: 'tenants', name, publicKey: pair.publicKey, privateKey: pair.privateKey, padding: 'oaep-sha256' });

/** Counts calls to a real provider; forwards its cache identity. */
function counted(inner: KeyProvider) {
  const counts = { generate: 0, decrypt: 0 };
  const provider: KeyProvider = {
    ...inner,
    async generateDataKey(r) {
      counts.generate++;
      return inner.generateDataKey(r);
    },
    async decryptDataKey(r) {
      counts.decrypt++;
      return inner.decryptDataKey(r);
    },
  };
  return { provider, counts };
}

/** Attack 1 (encrypt): tenant B's message must not reuse tenant A's data key; A's key alone must not open it. */
async function encryptIsolated(makeA: () => KeyProvider[], makeB: () => KeyProvider[]) {
  const shared = { cache: createDataKeyCache(), cachePartition: 'shared-by-both-tenants' };
  await createClient({ keyProviders: makeA(), ...shared }).encrypt('secret of A', { encryptionContext: { app: 'x' } });
  const fromB = await createClient({ keyProviders: makeB(), ...shared }).encrypt('secret of B', { encryptionContext: { app: 'x' } });
  await expect(createClient({ keyProviders: makeA() }).decrypt(fromB.ciphertext)).rejects.toThrow(StrongroomError);
  expect(text((await createClient({ keyProviders: makeB() }).decrypt(fromB.ciphertext)).plaintext)).toBe('secret of B');
}

/** Attack 2 (decrypt): after A opened its message through the cache, a client holding only B's key must fail. */
async function decryptIsolated(makeA: () => KeyProvider[], makeB: () => KeyProvider[]) {
  const shared = { cache: createDataKeyCache(), cachePartition: 'shared-by-both-tenants' };
  const tenantA = createClient({ keyProviders: makeA(), ...shared });
  const fromA = await createClient({ keyProviders: makeA() }).encrypt('secret of A');
  expect(text((await tenantA.decrypt(fromA.ciphertext)).plaintext)).toBe('secret of A');
  await expect(createClient({ keyProviders: makeB(), ...shared }).decrypt(fromA.ciphertext)).rejects.toThrow(StrongroomError);
}

describe('data-key cache: entries are bound to the wrapping key, not its name', () => {
  const keyA = randomBytes(32);
  const keyB = randomBytes(32);
  const pairA = rsaPair();
  const pairB = rsaPair();
  it.each([
    ['encrypt', encryptIsolated],
    ['decrypt', decryptIsolated],
  ] as const)('raw AES, %s: same namespace/name, different key bytes, shared partition → no shared data keys', async (_, attack) => {
    await attack(() => [aes(keyA)], () => [aes(keyB)]);
  });

  it.each([
    ['encrypt', encryptIsolated],
    ['decrypt', decryptIsolated],
  ] as const)('raw RSA, %s: same namespace/name, different key pairs, shared partition → no shared data keys', async (_, attack) => {
    await attack(() => [rsa(pairA)], () => [rsa(pairB)]);
  });

  it("raw RSA: A's public key with B's private key does not open A's cached message", async () => {
    await decryptIsolated(
      () => [rsa(pairA)],
      () => [RawRsaKeyProvider({ namespace: 'tenants', name: 'k', publicKey: pairA.publicKey, privateKey: pairB.privateKey, padding: 'oaep-sha256' })],
    );
  });

  it("raw RSA: knowing A's public key does not hand A's cached data key to an encrypt-only client", async () => {
    const shared = { cache: createDataKeyCache(), cachePartition: 'p' };
    const fromA = await createClient({ keyProvider: rsa(pairA), ...shared }).encrypt('a');
    const onlyPublic = RawRsaKeyProvider({ namespace: 'tenants', name: 'k', publicKey: pairA.publicKey, padding: 'oaep-sha256' });
    const fromOther = await createClient({ keyProvider: onlyPublic, ...shared }).encrypt('b');
    expect(Buffer.from(fromOther.header.encryptedDataKeys[0]!.ciphertext)).not.toEqual(Buffer.from(fromA.header.encryptedDataKeys[0]!.ciphertext));
  });

  it('several providers: the same second provider does not make two different generators share', async () => {
    const keyA = randomBytes(32);
    const keyB = randomBytes(32);
    const common = randomBytes(32);
    const other = () => RawAesKeyProvider({ namespace: 'common', name: 'c', key: common });
    // Decrypting with `common` would open both tenants' messages legitimately, so check the generators only.
    const cache = createDataKeyCache();
    const shared = { cache, cachePartition: 'p' };
    await createClient({ keyProviders: [aes(keyA), other()], ...shared }).encrypt('a');
    const fromB = await createClient({ keyProviders: [aes(keyB), other()], ...shared }).encrypt('b');
    await expect(createClient({ keyProvider: aes(keyA) }).decrypt(fromB.ciphertext)).rejects.toThrow(StrongroomError);
    expect(text((await createClient({ keyProvider: aes(keyB) }).decrypt(fromB.ciphertext)).plaintext)).toBe('b');
  });

  it('the same key under another name does not share encrypt entries (its EDKs name a different key)', async () => {
    const key = randomBytes(32);
    const cache = createDataKeyCache();
    await createClient({ keyProvider: aes(key, 'one'), cache, cachePartition: 'p' }).encrypt('a');
    const fromTwo = await createClient({ keyProvider: aes(key, 'two'), cache, cachePartition: 'p' }).encrypt('b');
    expect(text((await createClient({ keyProvider: aes(key, 'two') }).decrypt(fromTwo.ciphertext)).plaintext)).toBe('b');
  });

  it('the same key under the same name still shares across clients of one partition (the cache works)', async () => {
    const key = randomBytes(32);
    const cache = createDataKeyCache();
    const first = counted(aes(key));
    const second = counted(aes(key));
    const a = await createClient({ keyProvider: first.provider, cache, cachePartition: 'p' }).encrypt('a');
    const b = await createClient({ keyProvider: second.provider, cache, cachePartition: 'p' }).encrypt('b');
    expect(first.counts.generate + second.counts.generate).toBe(1);
    expect(Buffer.from(a.header.encryptedDataKeys[0]!.ciphertext)).toEqual(Buffer.from(b.header.encryptedDataKeys[0]!.ciphertext));
    const rsaKeys = rsaPair();
    const r1 = counted(rsa(rsaKeys));
    const r2 = counted(rsa(rsaKeys));
    await createClient({ keyProvider: r1.provider, cache, cachePartition: 'p' }).encrypt('a');
    await createClient({ keyProvider: r2.provider, cache, cachePartition: 'p' }).encrypt('b');
    expect(r1.counts.generate + r2.counts.generate).toBe(1);
  });

  it('the identity is a keyed fingerprint: it never contains the key bytes', async () => {
    const key = randomBytes(32);
    const id = await aes(key).cacheIdentity!('encrypt');
    expect(typeof id).toBe('string');
    expect(id).not.toContain(key.toString('hex'));
    expect(id).not.toContain(key.toString('base64'));
    expect(await aes(randomBytes(32)).cacheIdentity!('encrypt')).not.toBe(id);
  });

  it('a provider that states no identity is never shared between instances (but caches within one)', async () => {
    const key = randomBytes(32);
    const strip = (p: KeyProvider): KeyProvider => ({
      providerId: p.providerId,
      generateDataKey: (r) => p.generateDataKey(r),
      encryptDataKey: (r) => p.encryptDataKey(r),
      decryptDataKey: (r) => p.decryptDataKey(r),
    });
    const cache = createDataKeyCache();
    const one = counted(strip(aes(key)));
    const two = counted(strip(aes(key)));
    const c1 = createClient({ keyProvider: one.provider, cache, cachePartition: 'p' });
    await c1.encrypt('a');
    await c1.encrypt('a');
    expect(one.counts.generate).toBe(1);
    await createClient({ keyProvider: two.provider, cache, cachePartition: 'p' }).encrypt('b');
    expect(two.counts.generate).toBe(1);
  });

  it('an identity stated asynchronously binds entries like a synchronous one (alone and after a synchronous provider)', async () => {
    const deferred = (p: KeyProvider): KeyProvider => ({ ...p, cacheIdentity: async (purpose) => p.cacheIdentity!(purpose) });
    const cache = createDataKeyCache();
    const a = counted(deferred(aes(randomBytes(32))));
    const b = counted(deferred(aes(randomBytes(32))));
    const ca = createClient({ keyProvider: a.provider, cache, cachePartition: 'p' });
    const cb = createClient({ keyProvider: b.provider, cache, cachePartition: 'p' });
    const m = await ca.encrypt('a');
    await ca.encrypt('a');
    expect(a.counts.generate).toBe(1);
    // B states another identity: it gets its own data key, and cannot open A's message from the cache.
    await cb.encrypt('b');
    expect(b.counts.generate).toBe(1);
    await expect(cb.decrypt(m.ciphertext)).rejects.toBeInstanceOf(StrongroomError);
    // Two providers, the second answering later: entries are bound to both identities.
    const syncKey = randomBytes(32);
    const g1 = counted(aes(syncKey));
    const g2 = counted(aes(syncKey));
    const both1 = createClient({ keyProviders: [g1.provider, deferred(aes(randomBytes(32)))], cache, cachePartition: 'p' });
    const both2 = createClient({ keyProviders: [g2.provider, deferred(aes(randomBytes(32)))], cache, cachePartition: 'p' });
    await both1.encrypt('x');
    await both1.encrypt('x');
    expect(g1.counts.generate).toBe(1);
    const y = await both2.encrypt('y');
    expect(g2.counts.generate).toBe(1);
    expect(y.header.encryptedDataKeys).toHaveLength(2);
    expect(text((await both2.decrypt(y.ciphertext)).plaintext)).toBe('y');
  });

  it("a provider whose stated identity changes on one client gets new entries: the client's remembered identity is not reused", async () => {
    // The client remembers what its providers stated last and the key it built from that; a provider
    // that now states another identity (its key rotated, credentials now resolve to another principal)
    // must not be served the entry made under the old one, and going back finds the old entry again.
    let identity = 'key-version-1';
    const inner = aes(randomBytes(32));
    const p = counted({ ...inner, cacheIdentity: () => identity });
    const client = createClient({ keyProvider: p.provider, cache: createDataKeyCache(), cachePartition: 'p' });
    await client.encrypt('a');
    await client.encrypt('a');
    expect(p.counts.generate).toBe(1);
    identity = 'key-version-2';
    await client.encrypt('a');
    expect(p.counts.generate).toBe(2);
    await client.encrypt('a');
    expect(p.counts.generate).toBe(2);
    identity = 'key-version-1';
    await client.encrypt('a');
    expect(p.counts.generate).toBe(2);
    // Not stating one any more (undefined) bypasses the cache instead of reusing the last identity.
    identity = undefined as unknown as string;
    await client.encrypt('a');
    expect(p.counts.generate).toBe(3);
    // Decrypt: the same, keyed by the identity stated now.
    identity = 'key-version-3';
    const { ciphertext } = await client.encrypt('b');
    await client.decrypt(ciphertext);
    await client.decrypt(ciphertext);
    expect(p.counts.decrypt).toBe(1);
    identity = 'key-version-4';
    await client.decrypt(ciphertext);
    expect(p.counts.decrypt).toBe(2);
  });

  it('an identity lookup that rejects, or resolves to nothing, bypasses the cache (every call asks the provider)', async () => {
    for (const cacheIdentity of [async () => Promise.reject(new Error('no identity now')), async () => undefined]) {
      const p = counted({ ...aes(randomBytes(32)), cacheIdentity });
      const client = createClient({ keyProvider: p.provider, cache: createDataKeyCache(), cachePartition: 'p' });
      await client.encrypt('a');
      await client.encrypt('a');
      expect(p.counts.generate).toBe(2);
      const { ciphertext } = await client.encrypt('a');
      await client.decrypt(ciphertext);
      await client.decrypt(ciphertext);
      expect(p.counts.decrypt).toBe(2);
    }
  });
});
