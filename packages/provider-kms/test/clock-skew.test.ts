/**
 * Clock skew (issue 18 item 11). AWS refuses a request whose SigV4 time is more than 5 minutes from
 * its clock (InvalidSignatureException "Signature expired"); the AWS SDK then corrects the client's
 * `systemClockOffset` from the response `Date` header and marks the error `clockSkewCorrected` so a
 * retry succeeds — but the provider's clients run with `maxAttempts: 1`, so KmsKeyProvider must do
 * that retry itself, once, and say "clock" when the clock is the problem. Against kms-local through
 * the real @aws-sdk/client-kms with a skewed client clock (`systemClockOffset`).
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { getSuite, StrongroomError } from '@strongroom/core';
import { startKmsServer, type KmsServer } from '@strongroom/kms-local';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKmsClientSupplier, KmsKeyProvider } from '../src/index';
import { CREDENTIALS, createKeyArn, startKms } from './helpers';

const suite = getSuite(0x0478);
const encryptionContext = { tenant: 'acme' };
const TEN_MINUTES = 10 * 60_000;
let server: KmsServer;
let client: KMSClient;
let close: () => Promise<void>;
let keyArn: string;

beforeAll(async () => {
  ({ server, client, close } = await startKms());
  keyArn = await createKeyArn(client);
});
afterAll(async () => close?.());

describe('KmsKeyProvider and a skewed clock', () => {
  it('recovers: the SDK corrects the offset on the first refusal and the provider retries once', async () => {
    for (const offset of [-TEN_MINUTES, TEN_MINUTES]) {
      const supplier = createKmsClientSupplier({ endpoint: server.endpoint, credentials: CREDENTIALS, systemClockOffset: offset });
      try {
        const provider = KmsKeyProvider({ generatorKeyId: keyArn, clientProvider: supplier });
        const { plaintextKey, encryptedDataKey } = await provider.generateDataKey({ suite, encryptionContext });
        expect(await provider.decryptDataKey({ suite, encryptionContext, encryptedDataKey })).toEqual(plaintextKey);
      } finally {
        supplier.destroy();
      }
    }
  });

  it('recovers when the server clock is 10 minutes away (the SDK flags clockSkewCorrected)', async () => {
    for (const offset of [-TEN_MINUTES, TEN_MINUTES]) {
      const dataDir = await mkdtemp(join(tmpdir(), 'provider-kms-skew-'));
      const skewed = await startKmsServer({ dataDir, credentials: CREDENTIALS, now: () => Date.now() + offset, log: () => {} });
      const supplier = createKmsClientSupplier({ endpoint: skewed.endpoint, credentials: CREDENTIALS });
      try {
        const admin = new KMSClient({ endpoint: skewed.endpoint, region: skewed.region, credentials: CREDENTIALS, systemClockOffset: offset, maxAttempts: 1 });
        const arn = await createKeyArn(admin);
        admin.destroy();
        const provider = KmsKeyProvider({ generatorKeyId: arn, clientProvider: supplier });
        const { plaintextKey, encryptedDataKey } = await provider.generateDataKey({ suite, encryptionContext });
        expect(await provider.decryptDataKey({ suite, encryptionContext, encryptedDataKey })).toEqual(plaintextKey);
      } finally {
        supplier.destroy();
        await skewed.close();
        await rm(dataDir, { recursive: true, force: true });
      }
    }
  });

  it('a clock that stays wrong fails with an error that names the clock, not the secret key', async () => {
    const real = new KMSClient({ endpoint: server.endpoint, region: server.region, credentials: CREDENTIALS, maxAttempts: 1 });
    // A clock that keeps jumping back: every send starts 10 minutes behind again.
    const jumpy = {
      send(command: unknown, o?: { abortSignal?: AbortSignal }) {
        real.config.systemClockOffset = -TEN_MINUTES;
        return real.send(command as never, o);
      },
    };
    try {
      const provider = KmsKeyProvider({ generatorKeyId: keyArn, clientProvider: () => jumpy, retry: { maxAttempts: 1 } });
      const error = await provider.generateDataKey({ suite, encryptionContext }).then(() => undefined, (e: unknown) => e);
      expect(StrongroomError.isInstance(error)).toBe(true);
      const e = error as StrongroomError;
      expect(e.message).toMatch(/clock/i);
      expect(e.message).not.toMatch(/secret/i);
      expect(e.details).toMatchObject({ reason: 'CLOCK_SKEW', attempts: 2 });
    } finally {
      real.destroy();
    }
  });
});
