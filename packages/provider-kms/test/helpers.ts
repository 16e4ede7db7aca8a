/** Test helpers: kms-local in a temp dir, and KMS clients pointed at it. */
import { CreateKeyCommand, GetPublicKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { startKmsServer, type KmsServer } from '@strongroom/kms-local';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CREDENTIALS = { accessKeyId: 'AKIDPROVIDERTEST', secretAccessKey: 'provider-test-secret' };

export async function startKms(): Promise<{ server: KmsServer; client: KMSClient; close: () => Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'provider-kms-'));
  const server = await startKmsServer({ dataDir, credentials: CREDENTIALS });
  const client = new KMSClient({ endpoint: server.endpoint, region: server.region, credentials: CREDENTIALS, maxAttempts: 1 });
  return {
    server,
    client,
    close: async () => {
      client.destroy();
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function createKeyArn(client: KMSClient, multiRegion = false): Promise<string> {
  const out = await client.send(new CreateKeyCommand({ MultiRegion: multiRegion }));
  return out.KeyMetadata!.Arn!;
}

/** An RSA ENCRYPT_DECRYPT key: its ARN and its public key (DER SubjectPublicKeyInfo, from GetPublicKey). */
export async function createRsaKey(
  client: KMSClient,
  spec: 'RSA_2048' | 'RSA_3072' | 'RSA_4096' = 'RSA_2048',
  multiRegion = false,
): Promise<{ arn: string; publicKey: Uint8Array }> {
  const out = await client.send(new CreateKeyCommand({ KeySpec: spec, KeyUsage: 'ENCRYPT_DECRYPT', MultiRegion: multiRegion }));
  const arn = out.KeyMetadata!.Arn!;
  const { PublicKey } = await client.send(new GetPublicKeyCommand({ KeyId: arn }));
  return { arn, publicKey: PublicKey! };
}
