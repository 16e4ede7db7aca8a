/**
 * With core's data-key cache, 10,000 encrypts under one encryption context make exactly one
 * GenerateDataKey call, counted by kms-local itself (must-show 4).
 */
import { createClient, createDataKeyCache } from '@strongroom/core';
import type { KmsServer } from '@strongroom/kms-local';
import type { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsKeyProvider } from '../src/index';
import { createKeyArn, startKms } from './helpers';

let server: KmsServer;
let client: KMSClient;
let close: () => Promise<void>;
let keyArn: string;

beforeAll(async () => {
  ({ server, client, close } = await startKms());
  keyArn = await createKeyArn(client);
});
afterAll(async () => close?.());

describe('KmsKeyProvider with the core data-key cache', () => {
  it('10,000 encrypts under one context → 1 GenerateDataKey at the server', async () => {
    const cache = createDataKeyCache({ capacity: 10, maxAge: 10 * 60_000, maxMessagesEncrypted: 20_000 });
    const sr = createClient({ keyProvider: KmsKeyProvider({ generatorKeyId: keyArn, clientProvider: () => client }), cache });
    server.resetRequestCounts();
    const plaintext = new TextEncoder().encode('cached');
    let last: Uint8Array | undefined;
    for (let i = 0; i < 10_000; i++) {
      last = (await sr.encrypt(plaintext, { encryptionContext: { tenant: 'acme' } })).ciphertext;
    }
    expect(server.requestCounts).toEqual({ GenerateDataKey: 1 });
    const { plaintext: out } = await sr.decrypt(last!, { expectedEncryptionContext: { tenant: 'acme' } });
    expect(new TextDecoder().decode(out)).toBe('cached');
    expect(server.requestCounts).toEqual({ GenerateDataKey: 1, Decrypt: 1 });
  });

  it('without the cache every encrypt calls GenerateDataKey (the counter is real)', async () => {
    const sr = createClient({ keyProvider: KmsKeyProvider({ generatorKeyId: keyArn, clientProvider: () => client }) });
    server.resetRequestCounts();
    for (let i = 0; i < 25; i++) await sr.encrypt('uncached', { encryptionContext: { tenant: 'acme' } });
    expect(server.requestCounts).toEqual({ GenerateDataKey: 25 });
  });
});
