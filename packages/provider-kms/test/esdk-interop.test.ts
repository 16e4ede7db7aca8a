/**
 * Interop with code no one here wrote (must-show 2): the AWS Encryption SDK's KmsKeyringNode,
 * pointed at kms-local, encrypts and Strongroom's KmsKeyProvider decrypts — and the reverse.
 */
import { KMS } from '@aws-sdk/client-kms';
import { buildClient, CommitmentPolicy, KmsKeyringNode } from '@aws-crypto/client-node';
import { createClient } from '@strongroom/core';
import type { KmsServer } from '@strongroom/kms-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsKeyProvider, kmsKeyProviders } from '../src/index';
import { CREDENTIALS, createKeyArn, startKms } from './helpers';

const esdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const context = { tenant: 'acme', purpose: 'interop' };
let server: KmsServer;
let close: () => Promise<void>;
let keyA: string;
let keyB: string;
let esdkKms: KMS;

beforeAll(async () => {
  const started = await startKms();
  ({ server, close } = started);
  keyA = await createKeyArn(started.client);
  keyB = await createKeyArn(started.client);
  // The ESDK calls the aggregated client's methods (client.generateDataKey(...)).
  esdkKms = new KMS({ endpoint: server.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
});
afterAll(async () => {
  esdkKms?.destroy();
  await close?.();
});

const keyring = (generatorKeyId: string | undefined, keyIds: string[] = []) =>
  new KmsKeyringNode({ ...(generatorKeyId && { generatorKeyId }), keyIds, clientProvider: () => esdkKms });
const strongroom = (options: Parameters<typeof KmsKeyProvider>[0], suite?: number) =>
  createClient({ keyProvider: KmsKeyProvider({ ...options, clientProvider: () => esdkKms }), ...(suite !== undefined && { suite }) });

describe('AWS Encryption SDK KMS keyring ⇄ Strongroom KmsKeyProvider (via kms-local)', () => {
  it('ESDK encrypts (default suite 0x0578, signed), Strongroom decrypts', async () => {
    const plaintext = new TextEncoder().encode('written by the AWS Encryption SDK');
    const { result } = await esdk.encrypt(keyring(keyA), plaintext, { encryptionContext: context });
    const { plaintext: out, header } = await strongroom({ keyIds: [keyA] }).decrypt(result, { expectedEncryptionContext: context });
    expect(new TextDecoder().decode(out)).toBe('written by the AWS Encryption SDK');
    expect(header.suite.id).toBe(0x0578);
  });

  it('ESDK with generator + additional key: Strongroom opens it with only the additional key', async () => {
    const { result } = await esdk.encrypt(keyring(keyA, [keyB]), 'two keys', { encryptionContext: context });
    const { plaintext, header } = await strongroom({ keyIds: [keyB] }).decrypt(result);
    expect(new TextDecoder().decode(plaintext)).toBe('two keys');
    expect(header.encryptedDataKeys.map((k) => new TextDecoder().decode(k.providerInfo))).toEqual([keyA, keyB]);
  });

  it('Strongroom encrypts (0x0478 and 0x0578), the ESDK decrypts', async () => {
    for (const suite of [0x0478, 0x0578]) {
      const { ciphertext } = await strongroom({ generatorKeyId: keyA }, suite).encrypt('written by Strongroom', { encryptionContext: context });
      const { plaintext, messageHeader } = await esdk.decrypt(keyring(keyA), ciphertext);
      expect(new TextDecoder().decode(plaintext)).toBe('written by Strongroom');
      expect(messageHeader.encryptionContext).toMatchObject(context);
      expect(messageHeader.suiteId).toBe(suite);
    }
  });

  it('Strongroom with two KMS keys (kmsKeyProviders): the ESDK opens it with only the second key', async () => {
    const client = createClient({ keyProviders: kmsKeyProviders({ generatorKeyId: keyA, keyIds: [keyB], clientProvider: () => esdkKms }) });
    const { ciphertext } = await client.encrypt('for two keys', { encryptionContext: context });
    const { plaintext } = await esdk.decrypt(keyring(undefined, [keyB]), ciphertext);
    expect(new TextDecoder().decode(plaintext)).toBe('for two keys');
  });

  it('a message for another key is refused on both sides', async () => {
    const { ciphertext } = await strongroom({ generatorKeyId: keyA }).encrypt('x', { encryptionContext: context });
    await expect(esdk.decrypt(keyring(undefined, [keyB]), ciphertext)).rejects.toThrow();
    const { result } = await esdk.encrypt(keyring(keyA), 'y', { encryptionContext: context });
    await expect(strongroom({ keyIds: [keyB] }).decrypt(result)).rejects.toMatchObject({ code: 'NO_DECRYPTION_KEY' });
  });
});
