/** Persistence and clock checks: concurrent mutations all land durably; SigV4 date skew is refused. */
import { CreateKeyCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startKmsServer } from '../src/index';
import { clientFor, CREDENTIALS, startTestServer } from './helpers';

describe('durability', () => {
  it('concurrent CreateKeys are all in state.json, with no temp files left behind', async () => {
    const { server, dataDir, cleanup } = await startTestServer();
    const kms = clientFor(server);
    try {
      const created = await Promise.all(Array.from({ length: 25 }, () => kms.send(new CreateKeyCommand({}))));
      const state = JSON.parse(await readFile(join(dataDir, 'state.json'), 'utf8'));
      for (const c of created) expect(state.keys[c.KeyMetadata!.KeyId!]).toBeDefined();
      expect((await readdir(dataDir)).sort()).toEqual(['master.key', 'state.json']);
      // Another server over the same directory sees every key.
      await server.close();
      const again = await startKmsServer({ dataDir, credentials: CREDENTIALS });
      const kms2 = clientFor(again);
      expect((await kms2.send(new ListKeysCommand({ Limit: 1000 }))).Keys).toHaveLength(25);
      kms2.destroy();
      await again.close();
    } finally {
      kms.destroy();
      await cleanup();
    }
  });

  it('refuses requests signed more than 15 minutes away from the server clock', async () => {
    const { server, cleanup } = await startTestServer({ now: () => Date.now() + 20 * 60_000 });
    const kms = clientFor(server);
    try {
      await expect(kms.send(new ListKeysCommand({}))).rejects.toMatchObject({ name: 'InvalidSignatureException', message: expect.stringContaining('expired') });
    } finally {
      kms.destroy();
      await cleanup();
    }
  });
});
