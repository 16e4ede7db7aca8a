/** Persistence and clock checks: concurrent mutations all land durably; SigV4 date skew is refused. */
import { CreateKeyCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startKmsServer } from '../src/index';
import { clientFor, CREDENTIALS, startTestServer } from './helpers';

describe('durability', () => {
  it('concurrent CreateKeys are all in the change log, with no temp files left behind', async () => {
    const { server, dataDir, cleanup } = await startTestServer();
    const kms = clientFor(server);
    try {
      const created = await Promise.all(Array.from({ length: 25 }, () => kms.send(new CreateKeyCommand({}))));
      const logText = await readFile(join(dataDir, 'state.log'), 'utf8');
      for (const c of created) expect(logText).toContain(`"${c.KeyMetadata!.KeyId!}":{`);
      expect((await readdir(dataDir)).sort()).toEqual(['master.key', 'state.log']);
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

  it('refuses requests signed more than 5 minutes away from the server clock', async () => {
    const { server, cleanup } = await startTestServer({ now: () => Date.now() + 6 * 60_000 });
    const kms = clientFor(server);
    try {
      await expect(kms.send(new ListKeysCommand({}))).rejects.toMatchObject({ name: 'InvalidSignatureException', message: expect.stringContaining('expired') });
    } finally {
      kms.destroy();
      await cleanup();
    }
  });
});

describe('crash safety', () => {
  it('a crash before the rename leaves the previous state; the stray temp file is removed on start', async () => {
    const { server, dataDir, cleanup } = await startTestServer();
    const kms = clientFor(server);
    try {
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
      await server.close();
      // What a crash mid-write leaves behind: a torn temp file next to the intact state.
      const { writeFile } = await import('node:fs/promises');
      await writeFile(join(dataDir, 'state.json.12345.0123456789ab.tmp'), '{"formatVersion":1,"keys":{"tor');
      const again = await startKmsServer({ dataDir, credentials: CREDENTIALS });
      const kms2 = clientFor(again);
      expect((await kms2.send(new ListKeysCommand({}))).Keys!.map((k) => k.KeyId)).toEqual([KeyMetadata!.KeyId]);
      expect((await readdir(dataDir)).sort()).toEqual(['master.key', 'state.log']);
      kms2.destroy();
      await again.close();
    } finally {
      kms.destroy();
      await cleanup();
    }
  });
});

describe('scheduled work', () => {
  it('rotates automatically when due, purges keys after their deletion window; old ciphertexts still decrypt', async () => {
    let clock = Date.now();
    const { server, cleanup } = await startTestServer({ now: () => clock, credentials: undefined });
    const kms = clientFor(server);
    const { DecryptCommand, DescribeKeyCommand, EnableKeyRotationCommand, EncryptCommand, ListKeyRotationsCommand, ScheduleKeyDeletionCommand } = await import('@aws-sdk/client-kms');
    try {
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
      const KeyId = KeyMetadata!.KeyId!;
      const old = await kms.send(new EncryptCommand({ KeyId, Plaintext: new Uint8Array([1, 2, 3]) }));
      await kms.send(new EnableKeyRotationCommand({ KeyId, RotationPeriodInDays: 90 }));
      clock += 89 * 86_400_000;
      await server.runMaintenance();
      expect((await kms.send(new ListKeyRotationsCommand({ KeyId }))).Rotations).toEqual([]);
      clock += 2 * 86_400_000;
      await server.runMaintenance();
      const rotations = (await kms.send(new ListKeyRotationsCommand({ KeyId }))).Rotations!;
      expect(rotations).toHaveLength(1);
      expect(rotations[0]!.RotationType).toBe('AUTOMATIC');
      const fresh = await kms.send(new EncryptCommand({ KeyId, Plaintext: new Uint8Array([4]) }));
      expect(Buffer.from(fresh.CiphertextBlob!).readUInt32BE(2 + KeyId.length)).toBe(2);
      expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: old.CiphertextBlob }))).Plaintext!)).toEqual(Buffer.from([1, 2, 3]));

      await kms.send(new ScheduleKeyDeletionCommand({ KeyId, PendingWindowInDays: 7 }));
      clock += 8 * 86_400_000;
      await server.runMaintenance();
      await expect(kms.send(new DescribeKeyCommand({ KeyId }))).rejects.toMatchObject({ name: 'NotFoundException' });
      await expect(kms.send(new DecryptCommand({ CiphertextBlob: old.CiphertextBlob }))).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    } finally {
      kms.destroy();
      await cleanup();
    }
  });

  it('answers DryRun with DryRunOperationException (412) and does nothing', async () => {
    const { server, cleanup } = await startTestServer();
    const kms = clientFor(server);
    try {
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
      const { EncryptCommand } = await import('@aws-sdk/client-kms');
      await expect(kms.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: new Uint8Array([1]), DryRun: true }))).rejects.toMatchObject({
        name: 'DryRunOperationException',
        $metadata: { httpStatusCode: 412 },
      });
      expect(server.requestCounts).toMatchObject({ CreateKey: 1, Encrypt: 1 });
    } finally {
      kms.destroy();
      await cleanup();
    }
  });
});
