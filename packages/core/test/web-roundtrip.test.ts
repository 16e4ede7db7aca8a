/**
 * The web entry (built dist/web.mjs, Web Crypto backend, WHATWG streams) in Node: round trips of
 * every suite at 0, 1 and frame-boundary sizes, one-shot and streamed; messages written by the Node
 * entry, the web entry and the @noble backend open in each other; the data-key cache; required
 * encryption context (pairs authenticated, not stored).
 */
import { describe, expect, it, vi } from 'vitest';
import * as node from '../src/index';
import { nobleBackend } from '../src/noble';
import { random, readAll, streamOf, u8, web } from './web-entry';

const key = random(32);
const context = { tenant: 'acme', 'a-key': 'a value' };
const FRAME = 128;
const SIZES = [0, 1, FRAME - 1, FRAME, FRAME + 1, 3 * FRAME, 3 * FRAME + 7];
const policyFor = (id: number) => (id >= 0x0478 ? node.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT : node.CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT);

function clients(suite: number, frameLength = FRAME) {
  const commitmentPolicy = policyFor(suite);
  return {
    web: web.createClient({ keyProvider: web.RawAesKeyProvider({ namespace: 'n', name: 'k', key }), suite, frameLength, commitmentPolicy }),
    node: node.createClient({ keyProvider: node.RawAesKeyProvider({ namespace: 'n', name: 'k', key }), suite, frameLength, commitmentPolicy }),
    noble: web.createClient({
      keyProvider: web.RawAesKeyProvider({ namespace: 'n', name: 'k', key, backend: nobleBackend }),
      backend: nobleBackend,
      suite,
      frameLength,
      commitmentPolicy,
    }),
  };
}

describe('web entry round trips', () => {
  for (const suite of node.SUITES.values()) {
    it(`${suite.name}: one-shot and streamed, every boundary size, web ↔ node ↔ noble`, async () => {
      const c = clients(suite.id);
      for (const size of SIZES) {
        const plaintext = random(size);
        const oneShot = await c.web.encrypt(plaintext, { encryptionContext: context });
        expect(oneShot.header.suite.id).toBe(suite.id);
        const streamed = await readAll(c.web.encryptStream(streamOf(plaintext, 50), { encryptionContext: context }).readable);
        const fromNode = (await c.node.encrypt(plaintext, { encryptionContext: context })).ciphertext;
        const fromNoble = (await c.noble.encrypt(plaintext, { encryptionContext: context })).ciphertext;
        for (const message of [oneShot.ciphertext, streamed, fromNode, fromNoble]) {
          expect((await c.web.decrypt(message, { expectedEncryptionContext: context })).plaintext).toEqual(plaintext);
          expect(u8((await c.node.decrypt(message, { expectedEncryptionContext: context })).plaintext)).toEqual(plaintext);
          expect((await c.noble.decrypt(message)).plaintext).toEqual(plaintext);
          const opened = c.web.decryptStream(streamOf(message, 33), { expectedEncryptionContext: context });
          expect(await readAll(opened.readable)).toEqual(plaintext);
          expect((await opened.header).encryptionContext.tenant).toBe('acme');
        }
      }
    });
  }

  it('writes non-framed messages one-shot (frameLength 0) and refuses to stream them', async () => {
    const c = clients(0x0478, 0);
    const plaintext = random(1000);
    const { ciphertext, header } = await c.web.encrypt(plaintext);
    expect(header.contentType).toBe(1);
    expect(u8((await c.node.decrypt(ciphertext)).plaintext)).toEqual(plaintext);
    expect((await c.web.decrypt((await c.node.encrypt(plaintext)).ciphertext)).plaintext).toEqual(plaintext);
    await expect(readAll(c.web.encryptStream(plaintext).readable)).rejects.toSatisfy((e) => web.StrongroomError.isInstance(e, 'INVALID_ARGUMENT'));
  });

  it('pipes through: the transform pair, the header promise, string and iterable inputs', async () => {
    const c = clients(0x0578);
    const plaintext = random(5000);
    const encrypting = c.web.encryptStream({ encryptionContext: context });
    const message = await readAll(streamOf(plaintext, 700).pipeThrough(encrypting));
    expect((await encrypting.header).suite.id).toBe(0x0578);
    const decrypting = c.web.decryptStream();
    expect(await readAll(streamOf(message, 4096).pipeThrough(decrypting))).toEqual(plaintext);
    expect((await decrypting.header).header.suite.id).toBe(0x0578);
    const text = (await c.web.decrypt((await c.web.encrypt('héllo')).ciphertext)).plaintext;
    expect(new TextDecoder().decode(text)).toBe('héllo');
    async function* pieces() {
      yield plaintext.subarray(0, 10);
      yield plaintext.subarray(10);
    }
    expect(u8((await c.node.decrypt(await readAll(c.web.encryptStream(pieces()).readable))).plaintext)).toEqual(plaintext);
  });

  it('uses the data-key cache: one provider call for many messages, keys of one identity only', async () => {
    let calls = 0;
    const inner = web.RawAesKeyProvider({ namespace: 'n', name: 'k', key });
    const counting: node.KeyProvider = {
      ...inner,
      providerId: inner.providerId,
      cacheIdentity: inner.cacheIdentity,
      async generateDataKey(request) {
        calls++;
        return inner.generateDataKey(request);
      },
    };
    const cache = web.createDataKeyCache({ capacity: 10 });
    const client = web.createClient({ keyProvider: counting, cache, cachePartition: 'p' });
    for (let i = 0; i < 5; i++) await client.encrypt(random(100), { encryptionContext: context });
    expect(calls).toBe(1);
    expect(cache.stats.hits).toBe(4);
    // Same partition and names, other key bytes: another identity, so no entry is shared.
    const otherKey = web.createClient({ keyProvider: web.RawAesKeyProvider({ namespace: 'n', name: 'k', key: random(32) }), cache, cachePartition: 'p' });
    const { ciphertext } = await otherKey.encrypt(random(10), { encryptionContext: context });
    expect(cache.stats.hits).toBe(4);
    await expect(client.decrypt(ciphertext)).rejects.toSatisfy((e) => web.StrongroomError.isInstance(e, 'NO_DECRYPTION_KEY'));
  });

  it('required encryption context: authenticated, not stored, and checked on decrypt (web, streamed and one-shot)', async () => {
    const c = clients(0x0478);
    const required = { encryptionContext: { ...context, bucket: 'b1' }, requiredEncryptionContextKeys: ['bucket'] };
    const plaintext = random(3 * FRAME + 1);
    const streamed = await readAll(c.web.encryptStream(streamOf(plaintext, 50), required).readable);
    for (const message of [streamed, (await c.web.encrypt(plaintext, required)).ciphertext, (await c.node.encrypt(plaintext, required)).ciphertext]) {
      const opened = await c.web.decrypt(message, { encryptionContext: { bucket: 'b1' } });
      expect(opened.plaintext).toEqual(plaintext);
      expect(opened.header.encryptionContext).toEqual(context); // stored: without the required pair
      expect(opened.encryptionContext).toEqual({ ...context, bucket: 'b1' });
      expect(u8((await c.node.decrypt(message, { encryptionContext: { bucket: 'b1' } })).plaintext)).toEqual(plaintext);
      // The data key is wrapped under the full context: without the pair, or with another value, it does not unwrap.
      await expect(c.web.decrypt(message)).rejects.toSatisfy((e) => web.StrongroomError.isInstance(e, 'NO_DECRYPTION_KEY'));
      await expect(c.web.decrypt(message, { encryptionContext: { bucket: 'b2' } })).rejects.toSatisfy((e) => web.StrongroomError.isInstance(e, 'NO_DECRYPTION_KEY'));
      await expect(c.web.decrypt(message, { encryptionContext: { tenant: 'other' } })).rejects.toSatisfy((e) => web.StrongroomError.isInstance(e, 'ENCRYPTION_CONTEXT'));
      await expect(c.web.decrypt(message, { requiredEncryptionContextKeys: ['bucket'] })).rejects.toSatisfy((e) => web.StrongroomError.isInstance(e, 'ENCRYPTION_CONTEXT'));
    }
    await expect(c.web.encrypt(plaintext, { encryptionContext: context, requiredEncryptionContextKeys: ['bucket'] })).rejects.toSatisfy((e) =>
      web.StrongroomError.isInstance(e, 'ENCRYPTION_CONTEXT'),
    );
  });

  it('where Web Crypto refuses AES-192 (as Chromium does), AES-GCM falls back to @noble/ciphers', async () => {
    const subtle = globalThis.crypto.subtle;
    const original = subtle.importKey.bind(subtle);
    const refuse = vi.spyOn(subtle, 'importKey').mockImplementation(((format: 'raw', data: Uint8Array, algorithm: unknown, ...rest: [boolean, string[]]) => {
      if (algorithm === 'AES-GCM' && data.length === 24) return Promise.reject(new DOMException('AES key data must be 128 or 256 bits', 'OperationError'));
      return (original as (...a: unknown[]) => Promise<unknown>)(format, data, algorithm, ...rest);
    }) as typeof subtle.importKey);
    try {
      const key192 = random(24);
      const c = web.createClient({ keyProvider: web.RawAesKeyProvider({ namespace: 'n', name: 'k', key: key192 }), suite: 0x0046, commitmentPolicy: web.CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT });
      const n = node.createClient({ keyProvider: node.RawAesKeyProvider({ namespace: 'n', name: 'k', key: key192 }), suite: 0x0046, commitmentPolicy: node.CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT });
      const plaintext = random(1000);
      expect(u8((await n.decrypt((await c.encrypt(plaintext)).ciphertext)).plaintext)).toEqual(plaintext);
      expect((await c.decrypt((await n.encrypt(plaintext)).ciphertext)).plaintext).toEqual(plaintext);
      const tampered = (await c.encrypt(plaintext)).ciphertext;
      tampered[tampered.length - 1]! ^= 1;
      await expect(c.decrypt(tampered)).rejects.toSatisfy((e) => web.StrongroomError.isInstance(e, 'AUTHENTICATION_FAILED'));
      expect(refuse.mock.calls.some(([, data, algorithm]) => algorithm === 'AES-GCM' && (data as Uint8Array).length === 24)).toBe(true);
    } finally {
      refuse.mockRestore();
    }
  });
});
