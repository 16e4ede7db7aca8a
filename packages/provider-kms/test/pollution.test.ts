/**
 * Names of Object.prototype members coming from outside: as encryption-context keys the provider
 * sends them to KMS like any other key; as error names from a KMS endpoint (`__type`) they map to
 * a stable string code, never to an inherited member of the lookup table (issue 18 item 1).
 * A hostile endpoint is a real HTTP server on a real socket, reached by the real @aws-sdk/client-kms.
 */
import { KMSClient } from '@aws-sdk/client-kms';
import { getSuite, StrongroomError } from '@strongroom/core';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsKeyProvider } from '../src/index';
import { CREDENTIALS } from './helpers';

const NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'] as const;
const KEY = 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000';
const suite = getSuite(0x0478);

let server: Server;
let client: KMSClient;
const bodies: unknown[] = [];
let answerType = 'InternalFailure';

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: answerType, message: 'hostile endpoint' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new KMSClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
});
afterAll(async () => {
  client?.destroy();
  await new Promise((resolve) => server?.close(resolve));
});

describe('prototype-named strings from and to KMS', () => {
  it.each(NAMES)('an error named %s by the endpoint becomes PROVIDER_ERROR (a string code)', async (name) => {
    answerType = name;
    const provider = KmsKeyProvider({ generatorKeyId: KEY, clientProvider: () => client, retry: { maxAttempts: 1 } });
    const error = await provider.generateDataKey({ suite, encryptionContext: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(StrongroomError.isInstance(error)).toBe(true);
    expect((error as StrongroomError).code).toBe('PROVIDER_ERROR');
  });

  it.each(NAMES)('the encryption-context key %s is sent to KMS as a key', async (name) => {
    answerType = 'InternalFailure';
    bodies.length = 0;
    const provider = KmsKeyProvider({ generatorKeyId: KEY, clientProvider: () => client, retry: { maxAttempts: 1 } });
    await provider.generateDataKey({ suite, encryptionContext: { [name]: 'tenant-A', app: 'x' } }).catch(() => undefined);
    const sent = (bodies[0] as { EncryptionContext: Record<string, string> }).EncryptionContext;
    expect(Object.hasOwn(sent, name) && sent[name]).toBe('tenant-A');
    expect(Object.keys(sent).sort()).toEqual([name, 'app'].sort());
  });
});
