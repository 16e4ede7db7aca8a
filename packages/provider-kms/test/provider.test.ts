/** KmsKeyProvider against kms-local through the real @aws-sdk/client-kms. */
import { CreateAliasCommand, type KMSClient } from '@aws-sdk/client-kms';
import { createClient, getSuite, StrongroomError, type KeyProvider } from '@strongroom/core';
import type { KmsServer } from '@strongroom/kms-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKmsClientSupplier, excludeRegions, KmsKeyProvider, kmsKeyProviders, limitRegions } from '../src/index';
import { CREDENTIALS, createKeyArn, startKms } from './helpers';

const suite = getSuite(0x0478);
const ctx = { tenant: 'acme', 'aws-crypto-public-key': 'AAAA' };
let server: KmsServer;
let client: KMSClient;
let close: () => Promise<void>;
let keyA: string;
let keyB: string;

beforeAll(async () => {
  ({ server, client, close } = await startKms());
  keyA = await createKeyArn(client);
  keyB = await createKeyArn(client);
});
afterAll(async () => close?.());

const clientProvider = () => client;

async function roundTrip(encryptor: KeyProvider, decryptor: KeyProvider) {
  const { plaintextKey, encryptedDataKey } = await encryptor.generateDataKey({ suite, encryptionContext: ctx });
  const key = await decryptor.decryptDataKey({ suite, encryptionContext: ctx, encryptedDataKey });
  return { plaintextKey, encryptedDataKey, key };
}

describe('KmsKeyProvider', () => {
  it('generates a data key whose EDK names the key ARN and decrypts with strict matching', async () => {
    const provider = KmsKeyProvider({ generatorKeyId: keyA, clientProvider });
    const { plaintextKey, encryptedDataKey, key } = await roundTrip(provider, provider);
    expect(plaintextKey).toHaveLength(32);
    expect(encryptedDataKey.providerId).toBe('aws-kms');
    expect(new TextDecoder().decode(encryptedDataKey.providerInfo)).toBe(keyA);
    expect(key).toEqual(plaintextKey);
  });

  it('records the ARN when the generator is an alias', async () => {
    await client.send(new CreateAliasCommand({ AliasName: 'alias/provider-test', TargetKeyId: keyA }));
    const provider = KmsKeyProvider({ generatorKeyId: 'alias/provider-test', clientProvider, region: 'us-east-1' });
    const { encryptedDataKey } = await provider.generateDataKey({ suite, encryptionContext: ctx });
    expect(new TextDecoder().decode(encryptedDataKey.providerInfo)).toBe(keyA);
    // Decrypt is strict: it needs the ARN configured.
    const strict = KmsKeyProvider({ keyIds: [keyA], clientProvider });
    expect(await strict.decryptDataKey({ suite, encryptionContext: ctx, encryptedDataKey })).toHaveLength(32);
  });

  it('sends the full encryption context: a different context fails as AUTHENTICATION_FAILED with the AWS error as cause', async () => {
    const provider = KmsKeyProvider({ generatorKeyId: keyA, clientProvider });
    const { encryptedDataKey } = await provider.generateDataKey({ suite, encryptionContext: ctx });
    const err = await provider.decryptDataKey({ suite, encryptionContext: { tenant: 'acme' }, encryptedDataKey }).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err, 'AUTHENTICATION_FAILED')).toBe(true);
    expect((err as StrongroomError).cause).toMatchObject({ name: 'InvalidCiphertextException', $metadata: { httpStatusCode: 400 } });
  });

  it('declines EDKs of other keys and other providers', async () => {
    const a = KmsKeyProvider({ generatorKeyId: keyA, clientProvider });
    const b = KmsKeyProvider({ keyIds: [keyB], clientProvider });
    const { encryptedDataKey } = await a.generateDataKey({ suite, encryptionContext: ctx });
    expect(await b.decryptDataKey({ suite, encryptionContext: ctx, encryptedDataKey })).toBeUndefined();
    expect(await a.decryptDataKey({ suite, encryptionContext: ctx, encryptedDataKey: { ...encryptedDataKey, providerId: 'raw' } })).toBeUndefined();
    expect(
      await a.decryptDataKey({ suite, encryptionContext: ctx, encryptedDataKey: { ...encryptedDataKey, providerInfo: new Uint8Array([0xff, 0xfe]) } }),
    ).toBeUndefined();
  });

  it('wraps an existing data key with Encrypt (one provider per key via kmsKeyProviders)', async () => {
    const [gen, extra] = kmsKeyProviders({ generatorKeyId: keyA, keyIds: [keyB], clientProvider });
    const { plaintextKey } = await gen!.generateDataKey({ suite, encryptionContext: ctx });
    const [edkB] = [await extra!.encryptDataKey({ suite, encryptionContext: ctx, plaintextKey })].flat();
    expect(new TextDecoder().decode(edkB!.providerInfo)).toBe(keyB);
    const onlyB = KmsKeyProvider({ keyIds: [keyB], clientProvider });
    expect(await onlyB.decryptDataKey({ suite, encryptionContext: ctx, encryptedDataKey: edkB! })).toEqual(plaintextKey);
  });

  it('one provider with generatorKeyId + keyIds: 1 GenerateDataKey + N Encrypt, and any one key opens the message', async () => {
    const keyC = await createKeyArn(client);
    const provider = KmsKeyProvider({ generatorKeyId: keyA, keyIds: [keyB, keyC], clientProvider });
    const message = createClient({ keyProvider: provider });
    server.resetRequestCounts();
    const { ciphertext } = await message.encrypt(new TextEncoder().encode('three keys'), { encryptionContext: { tenant: 'acme' } });
    expect(server.requestCounts).toEqual({ GenerateDataKey: 1, Encrypt: 2 });
    for (const only of [keyA, keyB, keyC]) {
      server.resetRequestCounts();
      const { plaintext } = await createClient({ keyProvider: KmsKeyProvider({ keyIds: [only], clientProvider }) }).decrypt(ciphertext);
      expect(new TextDecoder().decode(plaintext)).toBe('three keys');
      expect(server.requestCounts).toEqual({ Decrypt: 1 });
    }
    // A provider for none of the keys cannot open it.
    const other = await createKeyArn(client);
    await expect(createClient({ keyProvider: KmsKeyProvider({ keyIds: [other], clientProvider }) }).decrypt(ciphertext)).rejects.toMatchObject({ code: 'NO_DECRYPTION_KEY' });
    // encryptDataKey wraps an existing data key under every configured key.
    const { plaintextKey } = await provider.generateDataKey({ suite, encryptionContext: ctx });
    const edks = [await provider.encryptDataKey({ suite, encryptionContext: ctx, plaintextKey })].flat();
    expect(edks.map((e) => new TextDecoder().decode(e.providerInfo))).toEqual([keyA, keyB, keyC]);
  });

  it('discovery decrypts any key of an allowed account and declines other accounts and partitions', async () => {
    const provider = KmsKeyProvider({ generatorKeyId: keyA, clientProvider });
    const { plaintextKey, encryptedDataKey } = await provider.generateDataKey({ suite, encryptionContext: ctx });
    const allowed = KmsKeyProvider({ discovery: { accountIds: [server.accountId], partition: 'aws' }, clientProvider });
    expect(await allowed.decryptDataKey({ suite, encryptionContext: ctx, encryptedDataKey })).toEqual(plaintextKey);
    const otherAccount = KmsKeyProvider({ discovery: { accountIds: ['999999999999'], partition: 'aws' }, clientProvider });
    expect(await otherAccount.decryptDataKey({ suite, encryptionContext: ctx, encryptedDataKey })).toBeUndefined();
    const otherPartition = KmsKeyProvider({ discovery: { accountIds: [server.accountId], partition: 'aws-cn' }, clientProvider });
    expect(await otherPartition.decryptDataKey({ suite, encryptionContext: ctx, encryptedDataKey })).toBeUndefined();
    await expect(allowed.generateDataKey({ suite, encryptionContext: ctx })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    // A client provider limited to other Regions declines the EDK instead of failing.
    const elsewhere = KmsKeyProvider({ discovery: { accountIds: [server.accountId], partition: 'aws' }, clientProvider: limitRegions(['eu-west-1'], clientProvider) });
    expect(await elsewhere.decryptDataKey({ suite, encryptionContext: ctx, encryptedDataKey })).toBeUndefined();
    const excluded = KmsKeyProvider({ keyIds: [keyA], clientProvider: excludeRegions(['us-east-1'], clientProvider) });
    expect(await excluded.decryptDataKey({ suite, encryptionContext: ctx, encryptedDataKey })).toBeUndefined();
    await expect(KmsKeyProvider({ generatorKeyId: keyA, clientProvider: excludeRegions(['us-east-1'], clientProvider) }).generateDataKey({ suite, encryptionContext: ctx })).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' });
  });

  it('decrypts an MRK ciphertext recorded under another Region with the configured replica', async () => {
    const mrk = await createKeyArn(client, true);
    expect(mrk).toMatch(/:key\/mrk-/);
    const provider = KmsKeyProvider({ generatorKeyId: mrk, clientProvider });
    const { plaintextKey, encryptedDataKey } = await provider.generateDataKey({ suite, encryptionContext: ctx });
    // The same message as if written in us-west-2 (the replica shares id and material).
    const westEdk = { ...encryptedDataKey, providerInfo: new TextEncoder().encode(mrk.replace('us-east-1', 'us-west-2')) };
    const regions: string[] = [];
    const east = KmsKeyProvider({ keyIds: [mrk], clientProvider: (r) => (regions.push(r), client) });
    expect(await east.decryptDataKey({ suite, encryptionContext: ctx, encryptedDataKey: westEdk })).toEqual(plaintextKey);
    expect(regions).toEqual(['us-east-1']);
    // A non-MRK key never matches across Regions.
    const { encryptedDataKey: plain } = await KmsKeyProvider({ generatorKeyId: keyA, clientProvider }).generateDataKey({ suite, encryptionContext: ctx });
    const westPlain = { ...plain, providerInfo: new TextEncoder().encode(keyA.replace('us-east-1', 'us-west-2')) };
    expect(await KmsKeyProvider({ keyIds: [keyA], clientProvider }).decryptDataKey({ suite, encryptionContext: ctx, encryptedDataKey: westPlain })).toBeUndefined();
  });

  it('passes abortSignal through and rejects with AbortError', async () => {
    const provider = KmsKeyProvider({ generatorKeyId: keyA, clientProvider });
    const controller = new AbortController();
    controller.abort();
    await expect(provider.generateDataKey({ suite, encryptionContext: ctx, abortSignal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
      code: 'ABORTED',
    });
    const seen: unknown[] = [];
    const spy = { send: (cmd: unknown, opts?: { abortSignal?: AbortSignal }) => (seen.push(opts?.abortSignal), client.send(cmd as never, opts)) };
    const live = new AbortController();
    await KmsKeyProvider({ generatorKeyId: keyA, clientProvider: () => spy }).generateDataKey({ suite, encryptionContext: ctx, abortSignal: live.signal });
    // The SDK gets a signal that follows the caller's (combined with the attempt's deadline).
    expect(seen).toHaveLength(1);
    const passed = seen[0] as AbortSignal;
    expect(passed.aborted).toBe(false);
    live.abort();
    expect(passed.aborted).toBe(true);
  });

  it('maps a disabled or unknown key to KEY_UNAVAILABLE', async () => {
    const missing = keyA.replace(/key\/.*/, 'key/00000000-0000-0000-0000-000000000000');
    const err = await KmsKeyProvider({ generatorKeyId: missing, clientProvider }).generateDataKey({ suite, encryptionContext: ctx }).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err, 'KEY_UNAVAILABLE')).toBe(true);
    expect((err as StrongroomError).cause).toMatchObject({ name: 'NotFoundException' });
  });

  it('validates its configuration', () => {
    expect(() => KmsKeyProvider({})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => KmsKeyProvider({ generatorKeyId: keyA, discovery: { accountIds: ['1'], partition: 'aws' } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => KmsKeyProvider({ discovery: { accountIds: [], partition: 'aws' } })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('createKmsClientSupplier', () => {
  it('caches one client per Region and works against kms-local', async () => {
    const supplier = createKmsClientSupplier({ endpoint: server.endpoint, credentials: CREDENTIALS });
    try {
      expect(supplier('us-east-1')).toBe(supplier('us-east-1'));
      expect(supplier('us-west-2')).not.toBe(supplier('us-east-1'));
      const provider = KmsKeyProvider({ generatorKeyId: keyA, clientProvider: supplier });
      const { key, plaintextKey } = await roundTrip(provider, provider);
      expect(key).toEqual(plaintextKey);
    } finally {
      supplier.destroy();
    }
  });
});
