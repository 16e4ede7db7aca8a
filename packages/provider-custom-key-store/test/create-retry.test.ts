/**
 * CreateCustomKeyStore retried after a lost answer, against an endpoint that — unlike kms-local — refuses
 * the retry with CustomKeyStoreNameInUseException, as the AWS KMS API Reference documents for a name in
 * use. The endpoint is a real HTTP server on a real socket that plays AWS KMS's JSON protocol: the first
 * CreateCustomKeyStore never gets an answer (the store was made; the response is lost), the retry is
 * refused, DescribeCustomKeyStores by name lists what exists. The admin API must answer the id of the
 * store its lost attempt made — and only when that store names the same cluster and trust anchor.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KMSClient } from '@aws-sdk/client-kms';
import { StrongroomError } from '@strongroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomKeyStoreAdmin } from '../src/index';

const ANCHOR = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
let server: Server;
let endpoint: string;
/** The store the endpoint holds, once the first (unanswered) create arrived. */
let existing: { CustomKeyStoreId: string; CustomKeyStoreName: string; CloudHsmClusterId: string; TrustAnchorCertificate: string } | undefined;
let creates = 0;
let existingAnchor = ANCHOR;
const hung: ServerResponse[] = [];

function answer(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...(errorType && { 'x-amzn-errortype': errorType }) });
  res.end(JSON.stringify(body));
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.on('data', (d: Buffer) => (body += d.toString()));
  req.on('end', () => {
    const input = JSON.parse(body || '{}') as Record<string, string>;
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target.endsWith('.CreateCustomKeyStore')) {
      creates++;
      if (!existing) {
        existing = { CustomKeyStoreId: 'cks-1234567890abcdef0', CustomKeyStoreName: input.CustomKeyStoreName!, CloudHsmClusterId: input.CloudHsmClusterId!, TrustAnchorCertificate: existingAnchor };
        hung.push(res); // made, and the answer is lost
        return;
      }
      return answer(res, 400, { __type: 'CustomKeyStoreNameInUseException', message: `A custom key store named ${input.CustomKeyStoreName} already exists.` }, 'CustomKeyStoreNameInUseException');
    }
    if (target.endsWith('.DescribeCustomKeyStores')) {
      const found = existing && (input.CustomKeyStoreName === undefined || input.CustomKeyStoreName === existing.CustomKeyStoreName) ? [{ ...existing, ConnectionState: 'DISCONNECTED' }] : [];
      if (found.length === 0) return answer(res, 400, { __type: 'CustomKeyStoreNotFoundException', message: 'none' }, 'CustomKeyStoreNotFoundException');
      return answer(res, 200, { CustomKeyStores: found, Truncated: false });
    }
    answer(res, 400, { __type: 'UnsupportedOperationException', message: target }, 'UnsupportedOperationException');
  });
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of hung) res.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});

function admin() {
  const client = new KMSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, maxAttempts: 1 });
  return { client, admin: createCustomKeyStoreAdmin({ client, retry: { attemptTimeoutMs: 500, maxAttempts: 3, baseDelayMs: 1 } }) };
}

describe('CreateCustomKeyStore retried against an endpoint that refuses the retry (NameInUse)', () => {
  it('answers the id of the store its lost attempt made', async () => {
    existing = undefined;
    creates = 0;
    existingAnchor = ANCHOR.replace(/\n/g, '\r\n'); // the endpoint may normalise the PEM's line endings
    const { client, admin: a } = admin();
    try {
      const id = await a.createCustomKeyStore({ name: 'store-a', clusterId: 'cluster-abc', trustAnchorPem: ANCHOR, kmsuserPassword: 'kmsuser-password' });
      expect(id).toBe('cks-1234567890abcdef0');
      expect(creates).toBe(2);
    } finally {
      client.destroy();
    }
  });

  it('keeps the refusal when the store of that name is another one (other trust anchor), and does not look unless it retried', async () => {
    existing = undefined;
    creates = 0;
    existingAnchor = '-----BEGIN CERTIFICATE-----\nMIIBother\n-----END CERTIFICATE-----\n';
    const { client, admin: a } = admin();
    try {
      const e = await a.createCustomKeyStore({ name: 'store-b', clusterId: 'cluster-abc', trustAnchorPem: ANCHOR, kmsuserPassword: 'p' }).catch((x: unknown) => x);
      expect(StrongroomError.isInstance(e, 'INVALID_ARGUMENT')).toBe(true);
      expect((e as Error).message).toMatch(/CustomKeyStoreNameInUseException.*choose another name/);
      // A first attempt refused with NameInUse is someone else's store: no lookup, the refusal stands.
      creates = 0;
      existingAnchor = ANCHOR;
      const first = await a.createCustomKeyStore({ name: 'store-b', clusterId: 'cluster-abc', trustAnchorPem: ANCHOR, kmsuserPassword: 'p' }).catch((x: unknown) => x);
      expect(StrongroomError.isInstance(first, 'INVALID_ARGUMENT')).toBe(true);
      expect(creates).toBe(1);
    } finally {
      client.destroy();
    }
  });
});
