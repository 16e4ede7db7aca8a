/**
 * Required encryption context (ESDK specification client-apis/encrypt.md "encryption context to only
 * authenticate", client-apis/decrypt.md "reproduced encryption context", MPL
 * framework/required-encryption-context-cmm.md): pairs authenticated by the header tag but not stored.
 */
import { createCipheriv, createHash, generateKeyPairSync, hkdfSync, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import {
  CommitmentPolicy,
  createClient,
  createDataKeyCache,
  type KeyProvider,
  parseHeader,
  RawAesKeyProvider,
  RawRsaKeyProvider,
  StrongroomError,
  SUITES,
} from '../src/index';

const aes = () => RawAesKeyProvider({ namespace: 'req-ec', name: 'k', key: randomBytes(32) });
const rsaKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa = () => RawRsaKeyProvider({ namespace: 'req-ec', name: 'rsa', publicKey: rsaKeys.publicKey, privateKey: rsaKeys.privateKey, padding: 'oaep-sha256' });

/** A real provider wrapped to count the calls that reach it. */
function counting(inner: KeyProvider) {
  const counts = { generate: 0, decrypt: 0 };
  const provider: KeyProvider = {
    providerId: inner.providerId,
    cacheIdentity: inner.cacheIdentity,
    async generateDataKey(r) {
      counts.generate++;
      return inner.generateDataKey(r);
    },
    encryptDataKey: (r) => inner.encryptDataKey(r),
    async decryptDataKey(r) {
      counts.decrypt++;
      return inner.decryptDataKey(r);
    },
  };
  return { provider, counts };
}

async function rejection(promise: Promise<unknown>): Promise<StrongroomError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!StrongroomError.isInstance(error)) throw new Error(`expected a StrongroomError, got ${String(error)}`);
  return error;
}

const plaintext = new TextEncoder().encode('required encryption context '.repeat(40));

describe('requiredEncryptionContextKeys on encrypt, reproduced encryptionContext on decrypt', () => {
  it('authenticates the required pairs without storing them, for every suite', async () => {
    for (const suite of SUITES.values()) {
      const commitmentPolicy = suite.committing ? CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT : CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT;
      const client = createClient({ keyProvider: aes(), suite: suite.id, commitmentPolicy, frameLength: 100 });
      const { ciphertext, header } = await client.encrypt(plaintext, {
        encryptionContext: { bucket: 'photos', object: 'cat-secret-key.jpg', purpose: 'test' },
        requiredEncryptionContextKeys: ['object', 'bucket'],
      });
      expect(Object.keys(header.encryptionContext).sort()).toEqual(suite.signature ? ['aws-crypto-public-key', 'purpose'] : ['purpose']);
      const bytes = Buffer.from(ciphertext);
      expect(bytes.includes('cat-secret-key.jpg')).toBe(false);
      expect(bytes.includes('photos')).toBe(false);
      expect(bytes.includes('purpose')).toBe(true);
      const out = await client.decrypt(ciphertext, { encryptionContext: { bucket: 'photos', object: 'cat-secret-key.jpg' } });
      expect(Buffer.from(out.plaintext).equals(Buffer.from(plaintext))).toBe(true);
      expect(out.encryptionContext).toMatchObject({ bucket: 'photos', object: 'cat-secret-key.jpg', purpose: 'test' });
      expect(out.header.encryptionContext.object).toBeUndefined();
    }
  });

  it('fails with a typed error naming the fix when a reproduced pair is missing, wrong or extra (AES and RSA providers)', async () => {
    for (const provider of [aes(), rsa()]) {
      const client = createClient({ keyProvider: provider });
      const { ciphertext } = await client.encrypt(plaintext, { encryptionContext: { tenant: 'acme', stage: 'prod' }, requiredEncryptionContextKeys: ['tenant'] });
      const attempts: Record<string, string>[] = [
        {}, // missing
        { tenant: 'evil' }, // wrong value
        { tenant: 'acme', region: 'eu' }, // an extra pair the writer did not authenticate
      ];
      for (const encryptionContext of attempts) {
        const error = await rejection(client.decrypt(ciphertext, { encryptionContext }));
        // The AES wrap binds the full context (its AAD fails first); the RSA wrap does not, so the header tag fails.
        expect(['NO_DECRYPTION_KEY', 'AUTHENTICATION_FAILED']).toContain(error.code);
        expect(error.message).toMatch(/requiredEncryptionContextKeys.*encryptionContext/);
        const streamed = await rejection(buffer(client.decryptStream(ciphertext, { encryptionContext })) as Promise<unknown>);
        expect(streamed.code).toBe(error.code);
      }
      // A reproduced pair the message does store must equal it: refused before any key is unwrapped.
      const conflict = await rejection(client.decrypt(ciphertext, { encryptionContext: { tenant: 'acme', stage: 'dev' } }));
      expect(conflict.code).toBe('ENCRYPTION_CONTEXT');
      expect(conflict.message).toContain('"stage"');
      // Repeating a stored pair with its value is fine.
      const ok = await client.decrypt(ciphertext, { encryptionContext: { tenant: 'acme', stage: 'prod' } });
      expect(Buffer.from(ok.plaintext).equals(Buffer.from(plaintext))).toBe(true);
    }
  });

  it('a reader that declares its required keys gets ENCRYPTION_CONTEXT naming the key, before any provider call', async () => {
    const { provider, counts } = counting(aes());
    const writer = createClient({ keyProvider: provider, requiredEncryptionContextKeys: ['tenant'] });
    const { ciphertext } = await writer.encrypt(plaintext, { encryptionContext: { tenant: 'acme' } });
    const missing = await rejection(writer.decrypt(ciphertext));
    expect(missing.code).toBe('ENCRYPTION_CONTEXT');
    expect(missing.message).toContain('"tenant"');
    expect(missing.message).toContain("decrypt's encryptionContext");
    expect(counts.decrypt).toBe(0);
    const perCall = createClient({ keyProvider: provider });
    expect((await rejection(perCall.decrypt(ciphertext, { requiredEncryptionContextKeys: ['tenant'] }))).code).toBe('ENCRYPTION_CONTEXT');
    expect(counts.decrypt).toBe(0);
    expect((await perCall.decrypt(ciphertext, { encryptionContext: { tenant: 'acme' }, requiredEncryptionContextKeys: ['tenant'] })).encryptionContext.tenant).toBe('acme');
    // The client-level list also binds encrypt: the key must be in the context.
    const noKey = await rejection(writer.encrypt(plaintext, { encryptionContext: { other: 'x' } }));
    expect(noKey.code).toBe('ENCRYPTION_CONTEXT');
    expect(noKey.message).toContain('"tenant"');
  });

  it('round trips with stored, required and expected context mixed, one-shot and streaming in every combination', async () => {
    const client = createClient({ keyProvider: aes(), suite: 0x0578, frameLength: 64 });
    const encryptionContext = { stored1: 'a', stored2: 'b', req1: 'c', req2: 'd' };
    const requiredEncryptionContextKeys = ['req1', 'req2'];
    const oneShot = (await client.encrypt(plaintext, { encryptionContext, requiredEncryptionContextKeys })).ciphertext;
    const streamed = new Uint8Array(await buffer(client.encryptStream(Readable.from([plaintext.subarray(0, 7), plaintext.subarray(7)]), { encryptionContext, requiredEncryptionContextKeys })));
    const reproduced = { req1: 'c', req2: 'd', stored1: 'a' };
    const expectedEncryptionContext = { stored2: 'b', req1: 'c' };
    for (const message of [oneShot, streamed]) {
      const a = await client.decrypt(message, { encryptionContext: reproduced, expectedEncryptionContext });
      expect(Buffer.from(a.plaintext).equals(Buffer.from(plaintext))).toBe(true);
      expect({ ...a.encryptionContext }).toMatchObject(encryptionContext);
      const stream = client.decryptStream(Readable.from([message]), { encryptionContext: reproduced, expectedEncryptionContext });
      const seen: unknown[] = [];
      stream.on('header', (_header, context) => seen.push(context));
      expect(Buffer.from(await buffer(stream)).equals(Buffer.from(plaintext))).toBe(true);
      expect(seen[0]).toMatchObject(encryptionContext);
      // An expected pair that contradicts a reproduced (required) one is refused.
      expect((await rejection(client.decrypt(message, { encryptionContext: reproduced, expectedEncryptionContext: { req1: 'x' } }))).code).toBe('ENCRYPTION_CONTEXT');
      // An expected pair naming a required key without reproducing it is refused too.
      expect((await rejection(client.decrypt(message, { encryptionContext: { req2: 'd' }, expectedEncryptionContext: { req1: 'c' } }))).code).toBe(
        'ENCRYPTION_CONTEXT',
      );
    }
  });

  it("attack: decrypt's encryptionContext contradicting the stored context is refused, not ignored", async () => {
    // A caller ported from the Java/Python/.NET ESDKs passes the context it expects to decrypt.
    const client = createClient({ keyProvider: aes() });
    const { ciphertext } = await client.encrypt(plaintext, { encryptionContext: { tenant: 'other-tenant' } });
    for (const decrypt of [
      () => client.decrypt(ciphertext, { encryptionContext: { tenant: 'my-tenant' } }),
      () => buffer(client.decryptStream(ciphertext, { encryptionContext: { tenant: 'my-tenant' } })),
    ]) {
      const error = await rejection(decrypt());
      expect(error.code).toBe('ENCRYPTION_CONTEXT');
      expect(error.message).toContain('"tenant"');
    }
  });

  it('context keys named like Object.prototype members are data, as required and as reproduced pairs', async () => {
    const client = createClient({ keyProvider: rsa() });
    const context = JSON.parse('{"__proto__":"tenant-a","toString":"x","constructor":"y"}') as Record<string, string>;
    const { ciphertext, header } = await client.encrypt(plaintext, { encryptionContext: context, requiredEncryptionContextKeys: ['__proto__', 'toString'] });
    expect(Object.keys(header.encryptionContext)).toEqual(['constructor']);
    const out = await client.decrypt(ciphertext, { encryptionContext: JSON.parse('{"__proto__":"tenant-a","toString":"x"}') });
    expect(Object.hasOwn(out.encryptionContext, '__proto__')).toBe(true);
    expect(out.encryptionContext['__proto__']).toBe('tenant-a');
    for (const wrong of ['{"__proto__":"tenant-b","toString":"x"}', '{"toString":"x"}', '{"__proto__":"tenant-a","toString":"x","constructor":"z"}']) {
      const error = await rejection(client.decrypt(ciphertext, { encryptionContext: JSON.parse(wrong) }));
      expect(['AUTHENTICATION_FAILED', 'ENCRYPTION_CONTEXT']).toContain(error.code);
    }
  });

  it('moving a stored pair out of the header and reproducing it does not authenticate', async () => {
    const client = createClient({ keyProvider: rsa() });
    const { ciphertext } = await client.encrypt(plaintext, { encryptionContext: { tenant: 'acme' } });
    const parsed = parseHeader(ciphertext, { maxEncryptedDataKeys: 10 })!;
    const { serializeHeaderBody } = await import('../src/index');
    const body = serializeHeaderBody({ ...parsed.header, encryptionContext: {} });
    const forged = Buffer.concat([body, ciphertext.subarray(parsed.headerBody.length)]);
    const error = await rejection(client.decrypt(forged, { encryptionContext: { tenant: 'acme' } }));
    expect(error.code).toBe('AUTHENTICATION_FAILED');
  });

  it('rejects malformed lists and reserved keys with INVALID_ARGUMENT / ENCRYPTION_CONTEXT', async () => {
    const client = createClient({ keyProvider: aes() });
    const bad = [
      [{ encryptionContext: { a: '1' }, requiredEncryptionContextKeys: 'a' }, 'INVALID_ARGUMENT'],
      [{ encryptionContext: { a: '1' }, requiredEncryptionContextKeys: [1] }, 'INVALID_ARGUMENT'],
      [{ encryptionContext: { a: '1' }, requiredEncryptionContextKeys: ['b'] }, 'ENCRYPTION_CONTEXT'],
      [{ encryptionContext: { a: '1' }, requiredEncryptionContextKeys: ['__proto__'] }, 'ENCRYPTION_CONTEXT'],
    ] as const;
    for (const [options, code] of bad) {
      expect((await rejection(client.encrypt('x', options as never))).code).toBe(code);
    }
    expect(() => createClient({ keyProvider: aes(), requiredEncryptionContextKeys: [''] })).toThrow(/non-empty string/);
    const { ciphertext } = await client.encrypt('x', { encryptionContext: { a: '1' } });
    expect((await rejection(client.decrypt(ciphertext, { encryptionContext: { 'aws-crypto-public-key': 'x' } }))).code).toBe('ENCRYPTION_CONTEXT');
    expect((await rejection(client.decrypt(ciphertext, { encryptionContext: { a: 1 } as never }))).code).toBe('INVALID_ARGUMENT');
  });
});

describe('header authentication AAD, computed independently of the SDK', () => {
  /** A provider that hands out one known data key (to recompute the header tag from outside). */
  function knownKey(dataKey: Uint8Array): KeyProvider {
    const edk = { providerId: 'known', providerInfo: new Uint8Array([1]), ciphertext: new Uint8Array([2]) };
    return {
      providerId: 'known',
      async generateDataKey() {
        return { plaintextKey: new Uint8Array(dataKey), encryptedDataKey: edk };
      },
      async encryptDataKey() {
        return edk;
      },
      async decryptDataKey() {
        return new Uint8Array(dataKey);
      },
    };
  }
  /** spec: framework/structures.md#serialization, written out by hand: count, then sorted pairs. */
  function serialized(pairs: [string, string][]): Buffer {
    if (pairs.length === 0) return Buffer.alloc(0);
    const parts = [Buffer.from([0, pairs.length])];
    for (const [k, v] of [...pairs].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
      for (const s of [k, v]) parts.push(Buffer.from([0, Buffer.byteLength(s)]), Buffer.from(s));
    }
    return Buffer.concat(parts);
  }

  for (const [suiteId, required] of [
    [0x0478, [['b', '2'], ['a', '1']]],
    [0x0478, []],
    [0x0178, [['tenant', 'acme']]],
    [0x0078, [['tenant', 'acme']]],
  ] as [number, [string, string][]][]) {
    it(`suite 0x${suiteId.toString(16).padStart(4, '0')}: tag = AES-GCM(content key, IV, header body ‖ serialized only-authenticated pairs) (${required.length} pairs)`, async () => {
      const dataKey = randomBytes(SUITES.get(suiteId)!.keyLength);
      const commitmentPolicy = suiteId === 0x0478 ? CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT : CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT;
      const client = createClient({ keyProvider: knownKey(dataKey), suite: suiteId, commitmentPolicy });
      const context = Object.fromEntries([['stored', 'yes'], ...required]);
      const { ciphertext } = await client.encrypt('x', { encryptionContext: context, requiredEncryptionContextKeys: required.map(([k]) => k) });
      const parsed = parseHeader(ciphertext, { maxEncryptedDataKeys: 10 })!;
      const suite = SUITES.get(suiteId)!;
      const suiteBytes = Buffer.from([suiteId >> 8, suiteId & 0xff]);
      const key =
        suiteId === 0x0478
          ? Buffer.from(hkdfSync('sha512', dataKey, parsed.header.messageId, Buffer.concat([suiteBytes, Buffer.from('DERIVEKEY')]), 32))
          : suite.kdf === undefined
            ? Buffer.from(dataKey)
            : Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), Buffer.concat([suiteBytes, parsed.header.messageId]), suite.keyLength));
      const cipher = createCipheriv(`aes-${suite.keyLength * 8}-gcm` as 'aes-256-gcm', key, parsed.headerIv);
      cipher.setAAD(Buffer.concat([parsed.headerBody, serialized(required)]));
      cipher.final();
      expect(createHash('sha256').update(cipher.getAuthTag()).digest('hex')).toBe(createHash('sha256').update(parsed.headerTag).digest('hex'));
      expect(Object.keys(parsed.header.encryptionContext)).toEqual(['stored']);
    });
  }
});

describe('data-key cache partitioning', () => {
  it('two reproduced contexts never share a decrypt cache entry', async () => {
    // RSA does not bind the context into the wrap, so only the cache key keeps the entries apart.
    const { provider, counts } = counting(rsa());
    const cache = createDataKeyCache({ capacity: 10 });
    const client = createClient({ keyProvider: provider, cache });
    const { ciphertext } = await client.encrypt(plaintext, { encryptionContext: { tenant: 'a' }, requiredEncryptionContextKeys: ['tenant'] });
    await client.decrypt(ciphertext, { encryptionContext: { tenant: 'a' } });
    await client.decrypt(ciphertext, { encryptionContext: { tenant: 'a' } });
    expect(counts.decrypt).toBe(1); // the second decrypt was a cache hit
    const wrong = await rejection(client.decrypt(ciphertext, { encryptionContext: { tenant: 'b' } }));
    expect(wrong.code).toBe('AUTHENTICATION_FAILED');
    expect(counts.decrypt).toBe(2); // another reproduced context went to the provider, not to tenant a's entry
    expect(cache.size).toBe(3); // one encrypt entry, two decrypt entries
  });

  it('encrypt entries are partitioned by the required keys as well as the context', async () => {
    const { provider, counts } = counting(aes());
    const client = createClient({ keyProvider: provider, cache: createDataKeyCache({ capacity: 10 }) });
    const encryptionContext = { tenant: 'a', object: 'o' };
    for (const requiredEncryptionContextKeys of [[], ['tenant'], ['object', 'tenant'], ['tenant', 'object'], ['tenant'], []]) {
      const { ciphertext } = await client.encrypt(plaintext, { encryptionContext, requiredEncryptionContextKeys });
      const stored = parseHeader(ciphertext, { maxEncryptedDataKeys: 10 })!.header.encryptionContext;
      expect(Object.keys(stored).length).toBe(2 - requiredEncryptionContextKeys.length);
    }
    expect(counts.generate).toBe(3); // {}, {tenant}, {object, tenant}: order and repeats do not matter
  });
});
