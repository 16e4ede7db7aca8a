import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CommitmentPolicy, createClient, RawAesKeyProvider, StrongroomError } from '../src/index';

const keyProvider = RawAesKeyProvider({ namespace: 'p', name: 'k', key: randomBytes(32) });
const is = (code: string) => (e: unknown) => StrongroomError.isInstance(e, code as never);

describe('commitment policy', () => {
  it('defaults to writing committing v2 messages and refusing v1 on decrypt', async () => {
    const strict = createClient({ keyProvider });
    expect(strict.commitmentPolicy).toBe('REQUIRE_ENCRYPT_REQUIRE_DECRYPT');
    expect(strict.suite.id).toBe(0x0478);
    const legacyWriter = createClient({ keyProvider, commitmentPolicy: CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT });
    expect(legacyWriter.suite.id).toBe(0x0378);
    const { ciphertext } = await legacyWriter.encrypt('old');
    expect(ciphertext[0]).toBe(1);
    await expect(strict.decrypt(ciphertext)).rejects.toSatisfy(is('COMMITMENT_POLICY'));
    const migrating = createClient({ keyProvider, commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT });
    expect(Buffer.from((await migrating.decrypt(ciphertext)).plaintext).toString()).toBe('old');
    const { ciphertext: v2 } = await migrating.encrypt('new');
    expect(v2[0]).toBe(2);
  });

  it('refuses inconsistent suite/policy combinations and bad options at creation', () => {
    expect(() => createClient({ keyProvider, suite: 0x0178 })).toThrow(/requires a committing suite/);
    expect(() => createClient({ keyProvider, suite: 0x0478, commitmentPolicy: 'FORBID_ENCRYPT_ALLOW_DECRYPT' })).toThrow(/forbids/);
    expect(() => createClient({ keyProvider, commitmentPolicy: 'NOPE' as never })).toThrow(StrongroomError);
    expect(() => createClient({ keyProvider, suite: 0x9999 })).toThrow(/unknown algorithm suite/);
    expect(() => createClient({ keyProvider, frameLength: -1 })).toThrow(/frameLength/);
    expect(() => createClient({ keyProvider, frameLength: 2 ** 32 })).toThrow(/frameLength/);
    expect(() => createClient({} as never)).toThrow(/keyProvider/);
    expect(() => createClient({ keyProvider: {} as never })).toThrow(/KeyProvider interface/);
  });

  it('refuses reserved encryption-context keys from callers', async () => {
    const client = createClient({ keyProvider });
    await expect(client.encrypt('x', { encryptionContext: { 'aws-crypto-public-key': 'forged' } })).rejects.toSatisfy(is('ENCRYPTION_CONTEXT'));
    await expect(client.encrypt('x', { encryptionContext: { a: 1 as never } })).rejects.toSatisfy(is('INVALID_ARGUMENT'));
    // An expected context is checked the same way, but may name reserved keys.
    const { ciphertext } = await client.encrypt('x', { encryptionContext: { a: 'b' } });
    await expect(client.decrypt(ciphertext, { expectedEncryptionContext: { a: 1 as never } })).rejects.toSatisfy(is('INVALID_ARGUMENT'));
    await expect(client.decrypt(ciphertext, { expectedEncryptionContext: [] as never })).rejects.toSatisfy(is('INVALID_ARGUMENT'));
    await expect(client.decrypt(ciphertext, { expectedEncryptionContext: { 'aws-crypto-public-key': 'x' } })).rejects.toSatisfy(is('ENCRYPTION_CONTEXT'));
  });
});
