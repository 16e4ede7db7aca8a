/**
 * Wire-level faults KMS produces that no local server does (docs/architecture.md#testing): msw answers the SDK's
 * requests to https://kms.us-east-1.amazonaws.com with a small fake KMS, and 30% of calls (seeded,
 * so the run is reproducible) with ThrottlingException (400) or a 5xx. Every encrypt and decrypt
 * through core's client must still succeed; a permanent AccessDeniedException must surface as a
 * typed error with the AWS error as `cause` (must-show 3).
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { createClient, DEFAULT_SUITE, StrongroomError } from '@strongroom/core';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KmsKeyProvider } from '../src/index';
import { seededRandom } from '@strongroom/testing/servers';

const ENDPOINT = 'https://kms.us-east-1.amazonaws.com/';
const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const json = (status: number, body: unknown, type?: string) =>
  new HttpResponse(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': crypto.randomUUID(), ...(type && { 'x-amzn-errortype': type }) },
  });

/** A fake KMS: the "ciphertext" carries the key and the context it was bound to. */
function fakeKms(body: Record<string, any>, op: string) {
  const ctx = JSON.stringify(Object.entries(body.EncryptionContext ?? {}).sort());
  if (op === 'GenerateDataKey') {
    const key = randomBytes(body.NumberOfBytes);
    const blob = Buffer.from(JSON.stringify({ k: key.toString('base64'), ctx }));
    return json(200, { KeyId: KEY_ARN, Plaintext: key.toString('base64'), CiphertextBlob: blob.toString('base64') });
  }
  if (op === 'Decrypt') {
    const sealed = JSON.parse(Buffer.from(body.CiphertextBlob, 'base64').toString());
    if (sealed.ctx !== ctx || body.KeyId !== KEY_ARN) return json(400, { __type: 'InvalidCiphertextException', message: 'bad' }, 'InvalidCiphertextException');
    return json(200, { KeyId: KEY_ARN, Plaintext: sealed.k, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
  }
  return json(400, { __type: 'UnknownOperationException' }, 'UnknownOperationException');
}

const counts = { requests: 0, faults: 0, throttles: 0, serverErrors: 0 };
let mode: 'flaky' | 'denied' = 'flaky';
const random = seededRandom(20261122);

const server = setupServer(
  http.post(ENDPOINT, async ({ request }) => {
    counts.requests++;
    const op = (request.headers.get('x-amz-target') ?? '').replace('TrentService.', '');
    const body = (await request.json()) as Record<string, unknown>;
    if (mode === 'denied') {
      return json(400, { __type: 'AccessDeniedException', message: 'User is not authorized to perform: kms:GenerateDataKey' }, 'AccessDeniedException');
    }
    const r = random();
    if (r < 0.3) {
      counts.faults++;
      if (r < 0.15) {
        counts.throttles++;
        return json(400, { __type: 'ThrottlingException', message: 'Rate exceeded' }, 'ThrottlingException');
      }
      counts.serverErrors++;
      return r < 0.25 ? json(500, { __type: 'KMSInternalException', message: 'internal' }, 'KMSInternalException') : new HttpResponse('Service Unavailable', { status: 503 });
    }
    return fakeKms(body, op);
  }),
);

let kms: KMSClient;
beforeAll(() => {
  server.listen({ onUnhandledRequest: 'error' });
  kms = new KMSClient({ region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 1 });
});
afterEach(() => {
  mode = 'flaky';
});
afterAll(() => {
  kms.destroy();
  server.close();
});

describe('KMS faults over the wire (msw)', () => {
  it('30% throttling/5xx: every encrypt and decrypt still succeeds', async () => {
    const provider = KmsKeyProvider({ generatorKeyId: KEY_ARN, clientProvider: () => kms, retry: { maxAttempts: 10, sleep: async () => {}, random } });
    const client = createClient({ keyProvider: provider });
    const messages: Uint8Array[] = [];
    for (let i = 0; i < 60; i++) {
      const { ciphertext } = await client.encrypt(`message ${i}`, { encryptionContext: { n: String(i) } });
      messages.push(ciphertext);
    }
    for (let i = 0; i < messages.length; i++) {
      const { plaintext } = await client.decrypt(messages[i]!, { expectedEncryptionContext: { n: String(i) } });
      expect(new TextDecoder().decode(plaintext)).toBe(`message ${i}`);
    }
    // 120 successful KMS calls; about 30% of all requests were faults, of both kinds.
    expect(counts.requests - counts.faults).toBe(120);
    expect(counts.faults / counts.requests).toBeGreaterThan(0.2);
    expect(counts.throttles).toBeGreaterThan(0);
    expect(counts.serverErrors).toBeGreaterThan(0);
  });

  it('a permanent AccessDeniedException is not retried and surfaces typed, with the AWS error as cause', async () => {
    mode = 'denied';
    const before = counts.requests;
    const provider = KmsKeyProvider({ generatorKeyId: KEY_ARN, clientProvider: () => kms, retry: { maxAttempts: 10, sleep: async () => {} } });
    const err = await createClient({ keyProvider: provider })
      .encrypt('x', { encryptionContext: { a: 'b' } })
      .catch((e: unknown) => e);
    expect(counts.requests - before).toBe(1);
    expect(StrongroomError.isInstance(err, 'ACCESS_DENIED')).toBe(true);
    const cause = (err as StrongroomError).cause as { name: string; $fault: string; $metadata: { httpStatusCode: number; requestId?: string } };
    expect(cause.name).toBe('AccessDeniedException');
    expect(cause.$fault).toBe('client');
    expect(cause.$metadata.httpStatusCode).toBe(400);
    expect(cause.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect((err as StrongroomError).details).toMatchObject({ operation: 'GenerateDataKey', keyId: KEY_ARN, attempts: 1, awsErrorName: 'AccessDeniedException' });
  });

  it('gives up after maxAttempts on persistent throttling with the last AWS error as cause', async () => {
    server.use(http.post(ENDPOINT, () => json(400, { __type: 'ThrottlingException', message: 'Rate exceeded' }, 'ThrottlingException'), { once: false }));
    const provider = KmsKeyProvider({ generatorKeyId: KEY_ARN, clientProvider: () => kms, retry: { maxAttempts: 3, sleep: async () => {} } });
    const err = await provider.generateDataKey({ suite: DEFAULT_SUITE, encryptionContext: {} }).catch((e: unknown) => e);
    server.resetHandlers();
    expect(StrongroomError.isInstance(err, 'PROVIDER_ERROR')).toBe(true);
    expect((err as StrongroomError).details).toMatchObject({ attempts: 3, awsErrorName: 'ThrottlingException' });
    expect((err as StrongroomError).cause).toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
  });
});
