/**
 * Every KMS request has a deadline: a kms-local process stopped with SIGSTOP keeps its listening
 * socket (the kernel still accepts connections) but never answers — a hung peer, not a dead one.
 * Each attempt must give up at `retry.attemptTimeoutMs`, be retried, and the operation fail with a
 * typed error naming the deadline; once the process continues, the same provider works again.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { getSuite, StrongroomError } from '@strongroom/core';
import { spawnKmsLocal, type KmsLocalProcess } from '@strongroom/testing/servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsKeyProvider } from '../src/index';
import { CREDENTIALS } from './helpers';

let kms: KmsLocalProcess;
let child: ChildProcess;
let dir: string;
let endpoint: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'provider-kms-deadline-'));
  kms = await spawnKmsLocal(['--data-dir', dir, '--port', '0'], CREDENTIALS);
  child = kms.child;
  endpoint = kms.endpoint;
}, 40_000);

afterAll(async () => {
  await kms?.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('a hung KMS endpoint (SIGSTOPped kms-local)', () => {
  it('each attempt ends at its deadline, is retried, and the call fails typed; after SIGCONT it works again', async () => {
    const client = new KMSClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
    const arn = (await client.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    const provider = KmsKeyProvider({ generatorKeyId: arn, clientProvider: () => client, retry: { attemptTimeoutMs: 400, maxAttempts: 2, baseDelayMs: 1 } });
    const suite = getSuite(0x0478);
    try {
      child.kill('SIGSTOP');
      const started = Date.now();
      const error = await provider.generateDataKey({ suite, encryptionContext: {} }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const elapsed = Date.now() - started;
      expect(StrongroomError.isInstance(error)).toBe(true);
      const e = error as StrongroomError;
      expect(e.code).toBe('PROVIDER_ERROR');
      expect(e.message).toMatch(/no answer from KMS to GenerateDataKey within 400 ms/);
      expect(e.details?.attempts).toBe(2);
      // Two deadlines, not the SDK's or the OS's default socket timeouts (minutes).
      expect(elapsed).toBeGreaterThanOrEqual(800);
      expect(elapsed).toBeLessThan(20_000);
    } finally {
      child.kill('SIGCONT');
    }
    const { plaintextKey } = await provider.generateDataKey({ suite, encryptionContext: {} });
    expect(plaintextKey.length).toBe(32);
    client.destroy();
  }, 60_000);

  it('refuses a deadline that is not a positive number', async () => {
    const client = new KMSClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
    const provider = KmsKeyProvider({ generatorKeyId: 'arn:aws:kms:us-east-1:111122223333:key/x', clientProvider: () => client, retry: { attemptTimeoutMs: 0 } });
    await expect(provider.generateDataKey({ suite: getSuite(0x0478), encryptionContext: {} })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    client.destroy();
  });
});
