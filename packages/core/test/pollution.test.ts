/**
 * Encryption-context keys named like Object.prototype members (`__proto__`, `constructor`,
 * `prototype`, `toString`, `hasOwnProperty`) are bound and compared like any other key: through
 * encrypt/decrypt, the header, the expected-context check and the data-key cache (issue 18 items 1
 * and 2). Contexts come from JSON.parse, as from a request body, so `__proto__` is an own property.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createClient, createDataKeyCache, parseEncryptionContext, RawAesKeyProvider, serializeEncryptionContext } from '../src/index';

const NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'] as const;
const ctx = (name: string, value: string): Record<string, string> => JSON.parse(`{${JSON.stringify(name)}:${JSON.stringify(value)},"app":"x"}`);
const provider = RawAesKeyProvider({ namespace: 'pollution', name: 'k', key: randomBytes(32) });
const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

describe('prototype-named encryption-context keys', () => {
  it.each(NAMES)('%s is bound: the right value decrypts, another value or its absence does not', async (name) => {
    const client = createClient({ keyProvider: provider });
    const { ciphertext, header } = await client.encrypt('tenant A', { encryptionContext: ctx(name, 'tenant-A') });
    expect(Object.hasOwn(header.encryptionContext, name) && header.encryptionContext[name]).toBe('tenant-A');
    const out = await client.decrypt(ciphertext, { expectedEncryptionContext: ctx(name, 'tenant-A') });
    expect(Object.hasOwn(out.header.encryptionContext, name) && out.header.encryptionContext[name]).toBe('tenant-A');
    await expect(client.decrypt(ciphertext, { expectedEncryptionContext: ctx(name, 'tenant-B') })).rejects.toMatchObject({ code: 'ENCRYPTION_CONTEXT' });
    // A message without the key never satisfies an expectation of it (no inherited member stands in).
    const plain = await client.encrypt('no such key', { encryptionContext: { app: 'x' } });
    await expect(client.decrypt(plain.ciphertext, { expectedEncryptionContext: ctx(name, 'tenant-A') })).rejects.toMatchObject({ code: 'ENCRYPTION_CONTEXT' });
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
  });

  it.each(NAMES)('%s serializes and parses as data (a null-prototype map)', (name) => {
    const parsed = parseEncryptionContext(serializeEncryptionContext(ctx(name, 'v')));
    expect(Object.getPrototypeOf(parsed)).toBeNull();
    expect(Object.keys(parsed).sort()).toEqual([name, 'app'].sort());
    expect(parsed[name]).toBe('v');
  });

  it.each(NAMES)('%s separates data-key cache entries (another value never reuses the data key)', async (name) => {
    const client = createClient({ keyProvider: provider, cache: createDataKeyCache() });
    const a = await client.encrypt('a', { encryptionContext: ctx(name, 'tenant-A') });
    const b = await client.encrypt('b', { encryptionContext: ctx(name, 'tenant-B') });
    const none = await client.encrypt('c', { encryptionContext: { app: 'x' } });
    const edk = (m: typeof a) => Buffer.from(m.header.encryptedDataKeys[0]!.ciphertext).toString('hex');
    expect(new Set([edk(a), edk(b), edk(none)]).size).toBe(3);
    expect(edk(await client.encrypt('a2', { encryptionContext: ctx(name, 'tenant-A') }))).toBe(edk(a));
  });
});
