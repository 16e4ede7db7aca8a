/** Test helper: kms-local on 127.0.0.1 with one symmetric key, a KMSClient and a KmsKeyProvider. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { startKmsServer } from '@strongroom/kms-local';
import { KmsKeyProvider } from '@strongroom/provider-kms';
import type { KeyProvider } from '@strongroom/core';

export interface LocalKms {
  readonly endpoint: string;
  readonly keyArn: string;
  readonly kms: KMSClient;
  provider(): KeyProvider;
  close(): Promise<void>;
}

export const KMS_CREDENTIALS = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };

export async function startKms(): Promise<LocalKms> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-kms-'));
  const server = await startKmsServer({ dataDir });
  const kms = new KMSClient({ endpoint: server.endpoint, region: server.region, credentials: KMS_CREDENTIALS, maxAttempts: 1 });
  const created = await kms.send(new CreateKeyCommand({ Description: 's3 tests' }));
  const keyArn = created.KeyMetadata!.Arn!;
  return {
    endpoint: server.endpoint,
    keyArn,
    kms,
    provider: () => KmsKeyProvider({ generatorKeyId: keyArn, clientProvider: () => kms }),
    async close() {
      kms.destroy();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
