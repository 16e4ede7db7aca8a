/**
 * Local-server starter: kms-local in this process on a real socket, in a fresh temporary data
 * directory, strict SigV4 with test credentials, optionally seeded (docs/kms-local.md "Seed file").
 * `ESDK_KMS_SEED` seeds the keys the public ESDK test-vector manifests name (account 658956600833,
 * us-west-2, aliases EncryptDecrypt and EncryptOnly).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKmsServer, type KmsServer, type KmsServerOptions } from '@strongroom/kms-local';
import { ESDK_FIXTURES } from '../esdk-vectors';

/** The seed file for the KMS keys of the ESDK manifests 0002-keys.v3 / 0003 / 0006. */
export const ESDK_KMS_SEED = join(ESDK_FIXTURES, 'kms-seed.yaml');

export interface StartedKmsLocal {
  readonly server: KmsServer;
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Stop the server and remove its temporary data directory. */
  close(): Promise<void>;
}

/**
 * Start kms-local for a test.
 * @param options.seed a seed file path or document; `log` lines go to `options.log` (default: dropped)
 */
export async function startKmsLocal(options: Partial<Omit<KmsServerOptions, 'dataDir'>> = {}): Promise<StartedKmsLocal> {
  const dataDir = await mkdtemp(join(tmpdir(), 'kms-local-test-'));
  const credentials = { accessKeyId: 'AKIDSTRONGROOMTEST', secretAccessKey: 'strongroom-test-secret-access-key' };
  let server: KmsServer;
  try {
    server = await startKmsServer({ credentials, log: () => {}, ...options, dataDir });
  } catch (e) {
    await rm(dataDir, { recursive: true, force: true });
    throw e;
  }
  return {
    server,
    endpoint: server.endpoint,
    region: server.region,
    credentials,
    async close() {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
