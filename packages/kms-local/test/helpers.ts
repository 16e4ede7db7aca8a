/** Test helpers: a kms-local server in a temp dir and a real @aws-sdk/client-kms client for it. */
import { KMSClient } from '@aws-sdk/client-kms';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKmsServer, type KmsServer, type KmsServerOptions } from '../src/index';

export const CREDENTIALS = { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-secret-key-for-tests' };

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'kms-local-'));
}

export async function startTestServer(options: Partial<KmsServerOptions> = {}): Promise<{ server: KmsServer; dataDir: string; cleanup: () => Promise<void> }> {
  const dataDir = options.dataDir ?? (await tempDir());
  const server = await startKmsServer({ credentials: CREDENTIALS, ...options, dataDir });
  return {
    server,
    dataDir,
    cleanup: async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function clientFor(server: KmsServer, credentials = CREDENTIALS): KMSClient {
  return new KMSClient({ endpoint: server.endpoint, region: server.region, credentials, maxAttempts: 1 });
}

/** The request as the SDK's HTTP handler sends it (the part tests edit). */
export interface OutgoingRequest {
  headers: Record<string, string>;
  port?: number;
}

/** Edit each request after the SDK signed it (to send what a signature does not cover, or replay it elsewhere). */
export function afterSigning(client: KMSClient, name: string, edit: (request: OutgoingRequest) => void): void {
  const middleware = (next: (args: { request: OutgoingRequest }) => Promise<unknown>) => async (args: { request: OutgoingRequest }) => {
    edit(args.request);
    return next(args);
  };
  client.middlewareStack.addRelativeTo(middleware as unknown as Parameters<KMSClient['middlewareStack']['addRelativeTo']>[0], {
    relation: 'after',
    toMiddleware: 'httpSigningMiddleware',
    name,
  });
}
