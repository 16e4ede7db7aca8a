/**
 * CustomKeyStoreKeyProvider binds data-key cache entries to the key ARN KMS resolved plus its
 * client's endpoint and principal (issue 18 item 6): the same alias on two KMS endpoints (two
 * accounts) never shares data keys through a shared cache partition. kms-local over the real
 * @aws-sdk/client-kms; the store-awareness paths are not involved (the keys are ordinary KMS keys).
 */
import { CreateAliasCommand, CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { createClient, createDataKeyCache, StrongroomError } from '@strongroom/core';
import { startKmsServer, type KmsServer } from '@strongroom/kms-local';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomKeyStoreKeyProvider } from '../src/index';

const CREDENTIALS = { accessKeyId: 'AKIDCKSIDENTITY', secretAccessKey: 'cks-identity-secret' };
const ALIAS = 'alias/tenant-key';
const stack: { server: KmsServer; dir: string; client: KMSClient; keyArn: string }[] = [];

async function account(accountId: string) {
  const dir = await mkdtemp(join(tmpdir(), 'cks-identity-'));
  const server = await startKmsServer({ dataDir: dir, credentials: CREDENTIALS, accountId });
  const client = new KMSClient({ endpoint: server.endpoint, region: server.region, credentials: CREDENTIALS, maxAttempts: 1 });
  const keyArn = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
  await client.send(new CreateAliasCommand({ AliasName: ALIAS, TargetKeyId: keyArn }));
  const entry = { server, dir, client, keyArn };
  stack.push(entry);
  return entry;
}

beforeAll(async () => {
  await account('111111111111');
  await account('222222222222');
});
afterAll(async () => {
  for (const { server, dir, client } of stack) {
    client.destroy();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
});

describe('CustomKeyStoreKeyProvider cache identity', () => {
  it('the same alias on two endpoints never shares data keys; same key ARN elsewhere does not open a cached message', async () => {
    const [a, b] = stack as [(typeof stack)[0], (typeof stack)[0]];
    const shared = { cache: createDataKeyCache(), cachePartition: 'shared' };
    const provider = (to: typeof a, keyId = ALIAS) => CustomKeyStoreKeyProvider({ client: to.client, generatorKeyId: keyId, region: to.server.region });
    const tenantA = createClient({ keyProvider: provider(a), ...shared });
    const tenantB = createClient({ keyProvider: provider(b), ...shared });
    for (let i = 0; i < 2; i++) await tenantA.encrypt('secret of A');
    const fromB = await tenantB.encrypt('secret of B');
    const fromB2 = await tenantB.encrypt('secret of B');
    for (const m of [fromB, fromB2]) expect(new TextDecoder().decode(m.header.encryptedDataKeys[0]!.providerInfo)).toBe(b.keyArn);

    const fromA = await createClient({ keyProvider: provider(a, a.keyArn) }).encrypt('secret of A');
    const readerA = createClient({ keyProvider: provider(a, a.keyArn), ...shared });
    expect(new TextDecoder().decode((await readerA.decrypt(fromA.ciphertext)).plaintext)).toBe('secret of A');
    await expect(createClient({ keyProvider: provider(b, a.keyArn), ...shared }).decrypt(fromA.ciphertext)).rejects.toThrow(StrongroomError);
  });
});
