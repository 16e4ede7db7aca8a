/**
 * The data-key cache binds KmsKeyProvider entries to the key KMS resolved (key ARN), the endpoint
 * and the principal, never to the configured key id (issue 18 item 6). Two kms-local instances
 * stand for two AWS accounts, each with its own `alias/tenant-key`, reached through the real
 * @aws-sdk/client-kms; both tenants share one cache and one cachePartition.
 */
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { createClient, createDataKeyCache, StrongroomError } from '@strongroom/core';
import { startKmsServer, type KmsServer } from '@strongroom/kms-local';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsKeyProvider } from '../src/index';
import { CREDENTIALS } from './helpers';

interface Account {
  server: KmsServer;
  dataDir: string;
  keyArn: string;
  client: (credentials?: typeof CREDENTIALS) => KMSClient;
}

const clients: KMSClient[] = [];
const accounts: Account[] = [];
const ALIAS = 'alias/tenant-key';
const arnOf = (ciphertext: { header: { encryptedDataKeys: readonly { providerInfo: Uint8Array }[] } }) =>
  new TextDecoder().decode(ciphertext.header.encryptedDataKeys[0]!.providerInfo);

async function startAccount(accountId: string): Promise<Account> {
  const dataDir = await mkdtemp(join(tmpdir(), 'provider-kms-identity-'));
  const server = await startKmsServer({ dataDir, credentials: CREDENTIALS, accountId });
  const client = (credentials = CREDENTIALS) => {
    const c = new KMSClient({ endpoint: server.endpoint, region: server.region, credentials, maxAttempts: 1 });
    clients.push(c);
    return c;
  };
  const admin = client();
  const keyArn = (await admin.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
  await admin.send(new CreateAliasCommand({ AliasName: ALIAS, TargetKeyId: keyArn }));
  const account = { server, dataDir, keyArn, client };
  accounts.push(account);
  return account;
}

let a: Account;
let b: Account;
beforeAll(async () => {
  a = await startAccount('111111111111');
  b = await startAccount('222222222222');
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  for (const acc of accounts) {
    await acc.server.close();
    await rm(acc.dataDir, { recursive: true, force: true });
  }
});

describe('KmsKeyProvider cache identity', () => {
  it("encrypt: the same alias in two accounts never shares a data key (tenant B's messages go to B's key)", async () => {
    const shared = { cache: createDataKeyCache(), cachePartition: 'shared' };
    const tenantA = createClient({ keyProvider: KmsKeyProvider({ generatorKeyId: ALIAS, region: a.server.region, clientProvider: () => a.client() }), ...shared });
    const tenantB = createClient({ keyProvider: KmsKeyProvider({ generatorKeyId: ALIAS, region: b.server.region, clientProvider: () => b.client() }), ...shared });
    b.server.resetRequestCounts();
    for (let i = 0; i < 3; i++) expect(arnOf(await tenantA.encrypt('secret of A'))).toBe(a.keyArn);
    const fromB = [];
    for (let i = 0; i < 3; i++) fromB.push(await tenantB.encrypt('secret of B'));
    for (const m of fromB) expect(arnOf(m)).toBe(b.keyArn);
    expect(b.server.requestCounts.GenerateDataKey).toBeGreaterThanOrEqual(1);
    // B's own key (in B's account) opens B's messages; A's key does not.
    const onlyA = createClient({ keyProvider: KmsKeyProvider({ generatorKeyId: a.keyArn, clientProvider: () => a.client() }) });
    await expect(onlyA.decrypt(fromB[2]!.ciphertext)).rejects.toThrow(StrongroomError);
  });

  it("decrypt: a provider naming A's key ARN over another endpoint does not open A's message from the cache", async () => {
    const shared = { cache: createDataKeyCache(), cachePartition: 'shared' };
    const fromA = await createClient({ keyProvider: KmsKeyProvider({ generatorKeyId: a.keyArn, clientProvider: () => a.client() }) }).encrypt('secret of A');
    const tenantA = createClient({ keyProvider: KmsKeyProvider({ generatorKeyId: a.keyArn, clientProvider: () => a.client() }), ...shared });
    expect(new TextDecoder().decode((await tenantA.decrypt(fromA.ciphertext)).plaintext)).toBe('secret of A');
    const elsewhere = createClient({ keyProvider: KmsKeyProvider({ generatorKeyId: a.keyArn, clientProvider: () => b.client() }), ...shared });
    await expect(elsewhere.decrypt(fromA.ciphertext)).rejects.toThrow(StrongroomError);
  });

  it("decrypt: A's access key id with a wrong secret does not open A's message from the cache", async () => {
    const shared = { cache: createDataKeyCache(), cachePartition: 'shared' };
    const tenantA = createClient({ keyProvider: KmsKeyProvider({ generatorKeyId: a.keyArn, clientProvider: () => a.client() }), ...shared });
    const fromA = await tenantA.encrypt('secret of A');
    expect(new TextDecoder().decode((await tenantA.decrypt(fromA.ciphertext)).plaintext)).toBe('secret of A');
    const forged = a.client({ accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' });
    const impostor = createClient({ keyProvider: KmsKeyProvider({ generatorKeyId: a.keyArn, clientProvider: () => forged }), ...shared });
    await expect(impostor.decrypt(fromA.ciphertext)).rejects.toThrow(StrongroomError);
  });

  it('the same key, endpoint and principal still share across provider instances and clients (one GenerateDataKey)', async () => {
    const shared = { cache: createDataKeyCache(), cachePartition: 'shared' };
    a.server.resetRequestCounts();
    for (let i = 0; i < 5; i++) {
      const client = createClient({ keyProvider: KmsKeyProvider({ generatorKeyId: a.keyArn, clientProvider: () => a.client() }), ...shared });
      await client.encrypt('x', { encryptionContext: { tenant: 'a' } });
    }
    expect(a.server.requestCounts.GenerateDataKey).toBe(1);
    // An alias is cached once KMS has resolved it (the first call is not cached).
    a.server.resetRequestCounts();
    const viaAlias = KmsKeyProvider({ generatorKeyId: ALIAS, region: a.server.region, clientProvider: () => a.client() });
    expect(await viaAlias.cacheIdentity!('encrypt')).toBeUndefined();
    const aliasClient = createClient({ keyProvider: viaAlias, ...shared });
    for (let i = 0; i < 5; i++) await aliasClient.encrypt('y', { encryptionContext: { tenant: 'a' } });
    expect(a.server.requestCounts.GenerateDataKey).toBe(1);
    expect(await viaAlias.cacheIdentity!('encrypt')).toContain(a.keyArn);
  });
});
