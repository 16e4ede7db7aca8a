/**
 * rewrapHeader: a message's data key re-wrapped under other providers, the body untouched. The new
 * header followed by the old body decrypts with the new key only; required (only-authenticated)
 * context must still be reproduced; a header altered before the re-wrap is refused.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createClient, parseHeader, RawAesKeyProvider } from '../src/index';

const oldKey = RawAesKeyProvider({ namespace: 'ns', name: 'old', key: Buffer.alloc(32, 1) });
const newKey = RawAesKeyProvider({ namespace: 'ns', name: 'new', key: Buffer.alloc(32, 2) });
const writer = createClient({ keyProvider: oldKey, suite: 0x0478, frameLength: 1024 });
const context = { encryptionContext: { tenant: 'acme', 'b-key': 'k1' }, requiredEncryptionContextKeys: ['b-key'] };
const reproduce = { encryptionContext: { 'b-key': 'k1' } };

describe('rewrapHeader', () => {
  it('the new header + the old body decrypts with the new key only; message id and stored context are kept', async () => {
    const plaintext = randomBytes(5000);
    const { ciphertext } = await writer.encrypt(plaintext, context);
    const old = parseHeader(ciphertext, { maxEncryptedDataKeys: 10 })!;
    const header = await writer.rewrapHeader(ciphertext, { ...reproduce, keyProviders: [newKey] });
    const message = Buffer.concat([header, ciphertext.subarray(old.length)]);
    const reader = createClient({ keyProvider: newKey });
    const out = await reader.decrypt(message, reproduce);
    expect(Buffer.from(out.plaintext).equals(plaintext)).toBe(true);
    expect(Buffer.from(out.header.messageId).equals(Buffer.from(old.header.messageId))).toBe(true);
    expect(out.header.encryptionContext).toEqual({ tenant: 'acme' });
    expect(out.header.encryptedDataKeys.map((e) => Buffer.from(e.providerInfo).subarray(0, 3).toString())).toEqual(['new']);
    await expect(createClient({ keyProvider: oldKey }).decrypt(message, reproduce)).rejects.toMatchObject({ code: 'NO_DECRYPTION_KEY' });
    // The required pair is still bound (the raw AES wrap binds the full context, so its unwrap fails first).
    await expect(reader.decrypt(message, { encryptionContext: { 'b-key': 'k2' } })).rejects.toMatchObject({ code: 'NO_DECRYPTION_KEY' });
  });

  it('needs the required pairs and a current key; an altered header is refused', async () => {
    const { ciphertext } = await writer.encrypt(randomBytes(100), context);
    await expect(writer.rewrapHeader(ciphertext, { keyProviders: [newKey] })).rejects.toMatchObject({ code: 'NO_DECRYPTION_KEY' });
    await expect(createClient({ keyProvider: newKey }).rewrapHeader(ciphertext, { ...reproduce, keyProviders: [newKey] })).rejects.toMatchObject({ code: 'NO_DECRYPTION_KEY' });
    // The frame length (4 bytes before the 32-byte commitment and the 16-byte tag): 1024 → 1025.
    const altered = Buffer.from(ciphertext);
    const headerLength = parseHeader(ciphertext, { maxEncryptedDataKeys: 10 })!.length;
    expect(altered.readUInt32BE(headerLength - 16 - 32 - 4)).toBe(1024);
    altered[headerLength - 16 - 32 - 1] = 1;
    await expect(writer.rewrapHeader(altered, { ...reproduce, keyProviders: [newKey] })).rejects.toMatchObject({ code: 'AUTHENTICATION_FAILED' });
  });
});
