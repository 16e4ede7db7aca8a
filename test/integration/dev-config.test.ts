/**
 * The dev stack's config file is the one-line way to a provider (issues 4 and 8): `strongroom dev`
 * writes dev.json, and `hsmKeyProviderFromConfig` / `kmsKeyProviderFromConfig` read it as it is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DevStack, startDevStack } from '@strongroom/cli';
import { createClient, StrongroomError } from '@strongroom/core';
import { hsmKeyProviderFromConfig } from '@strongroom/provider-hsm';
import { kmsKeyProviderFromConfig } from '@strongroom/provider-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let tmp: string;
let stack: DevStack;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'strongroom-dev-config-'));
  stack = await startDevStack({ dir: join(tmp, 'stack') });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('providers from the dev stack config', () => {
  it('hsmKeyProviderFromConfig reads dev.json and round-trips through the 3-node cluster', async () => {
    const provider = await hsmKeyProviderFromConfig(stack.configPath);
    try {
      const client = createClient({ keyProvider: provider });
      const { ciphertext, header } = await client.encrypt('through the HSM cluster', { encryptionContext: { via: 'dev.json' } });
      expect(header.encryptedDataKeys[0]!.providerId).toBe('strongroom-hsm');
      expect(Buffer.from((await client.decrypt(ciphertext)).plaintext).toString()).toBe('through the HSM cluster');
    } finally {
      await (provider as { close?: () => Promise<void> }).close?.();
    }
  });

  it('kmsKeyProviderFromConfig reads dev.json and round-trips through kms-local (strict SigV4)', async () => {
    const provider = await kmsKeyProviderFromConfig(stack.configPath);
    const client = createClient({ keyProvider: provider });
    const { ciphertext, header } = await client.encrypt('through kms-local', { encryptionContext: { via: 'dev.json' } });
    expect(header.encryptedDataKeys[0]!.providerId).toBe('aws-kms');
    expect(new TextDecoder().decode(header.encryptedDataKeys[0]!.providerInfo)).toMatch(/^arn:aws:kms:/);
    expect(Buffer.from((await client.decrypt(ciphertext)).plaintext).toString()).toBe('through kms-local');
  });

  it('a bad config is a typed one-line error', async () => {
    await expect(kmsKeyProviderFromConfig({ kms: { endpoint: 'ftp://x', keyArn: 'k' } })).rejects.toSatisfy((e) => StrongroomError.isInstance(e, 'INVALID_ARGUMENT'));
    await expect(kmsKeyProviderFromConfig(join(tmp, 'missing.json'))).rejects.toSatisfy((e) => StrongroomError.isInstance(e, 'IO_ERROR'));
    await expect(hsmKeyProviderFromConfig({ keyLabel: 'x', hsm: { nodes: [{ url: 'https://127.0.0.1:1' }] } } as never)).rejects.toSatisfy((e) => StrongroomError.isInstance(e));
  });
});
