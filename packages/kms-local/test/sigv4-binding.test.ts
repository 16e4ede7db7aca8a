/**
 * SigV4 bound to the server (issue 18 item 3). A signature covers the `host` header and names a
 * credential scope `date/region/service/aws4_request` (AWS SigV4: "Create a signed AWS API
 * request"); a server that checks only the HMAC accepts a request signed for another endpoint or
 * Region. kms-local must refuse: a signed host that is not its own address, a scope Region other
 * than its Region, a service other than `kms`, and a request time more than 5 minutes away from
 * its clock (as AWS). Without credentials it says so at start and on every response.
 */
import { CreateKeyCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { afterEach, describe, expect, it } from 'vitest';
import { afterSigning, CREDENTIALS, startTestServer } from './helpers';
import type { KmsServer } from '../src/index';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function start(options: Parameters<typeof startTestServer>[0] = {}): Promise<KmsServer> {
  const t = await startTestServer(options);
  cleanups.push(t.cleanup);
  return t.server;
}

function client(endpoint: string, region: string, extra: Record<string, unknown> = {}): KMSClient {
  const kms = new KMSClient({ endpoint, region, credentials: CREDENTIALS, maxAttempts: 1, ...extra });
  cleanups.push(async () => kms.destroy());
  return kms;
}

/** A client that signs for `signedFor` (its endpoint and Region) but delivers to `deliverTo`'s port. */
function replayingClient(signedFor: KmsServer, deliverTo: KmsServer): KMSClient {
  const kms = client(signedFor.endpoint, signedFor.region);
  afterSigning(kms, 'redirectAfterSigning', (request) => {
    request.port = deliverTo.port;
  });
  return kms;
}


describe('a signature is bound to the server', () => {
  it('a CreateKey signed for a us-east-1 kms-local is refused by an eu-west-1 kms-local on another port', async () => {
    const east = await start({ region: 'us-east-1' });
    const west = await start({ region: 'eu-west-1' });
    // Sanity: the redirect works (signed for west, delivered to west).
    expect((await replayingClient(west, west).send(new CreateKeyCommand({}))).KeyMetadata?.Arn).toContain(':eu-west-1:');
    await expect(replayingClient(east, west).send(new CreateKeyCommand({}))).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 400 } });
    expect((await client(west.endpoint, 'eu-west-1').send(new ListKeysCommand({}))).Keys).toHaveLength(1);
  });

  it('a signed host of another server in the same Region is refused', async () => {
    const a = await start();
    const b = await start();
    await expect(replayingClient(a, b).send(new ListKeysCommand({}))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      message: expect.stringContaining('host'),
    });
  });

  it('a credential scope naming another Region is refused, with the server Region in the message', async () => {
    const s = await start({ region: 'us-east-1' });
    await expect(client(s.endpoint, 'eu-west-1').send(new ListKeysCommand({}))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      message: expect.stringContaining("'us-east-1'"),
    });
  });

  it('localhost and 127.0.0.1 both name a server listening on 127.0.0.1', async () => {
    const s = await start();
    const viaLocalhost = client(`http://localhost:${s.port}`, s.region);
    expect((await viaLocalhost.send(new ListKeysCommand({}))).Keys).toEqual([]);
  });
});

describe('malformed signed parts', () => {
  it('a query with a broken percent-escape is a typed 4xx, not a 500', async () => {
    const s = await start();
    const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const res = await fetch(`${s.endpoint}/?a=%zz`, {
      method: 'POST',
      headers: {
        'x-amz-target': 'TrentService.ListKeys',
        'x-amz-date': amzDate,
        authorization: `AWS4-HMAC-SHA256 Credential=${CREDENTIALS.accessKeyId}/${amzDate.slice(0, 8)}/${s.region}/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
      },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { __type: string }).__type).toMatch(/Signature/);
  });
});

describe('clock skew window: 5 minutes, as AWS', () => {
  it('refuses a request 6 minutes behind the server clock with a message about the clock', async () => {
    const s = await start();
    await expect(client(s.endpoint, s.region, { systemClockOffset: -6 * 60_000 }).send(new ListKeysCommand({}))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
      message: expect.stringMatching(/clock/i),
    });
  });

  it('accepts a request 4 minutes off', async () => {
    const s = await start();
    expect((await client(s.endpoint, s.region, { systemClockOffset: 4 * 60_000 }).send(new ListKeysCommand({}))).Keys).toEqual([]);
  });
});

describe('no credentials configured', () => {
  it('says so at start and answers every response with x-strongroom-auth: none', async () => {
    const lines: string[] = [];
    const s = await start({ credentials: undefined, log: (line: string) => lines.push(line) });
    expect(lines.join('\n')).toMatch(/no credentials.*any.*signature/i);
    const ok = await fetch(s.endpoint, { method: 'POST', headers: { 'x-amz-target': 'TrentService.ListKeys' }, body: '{}' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-strongroom-auth')).toBe('none');
    const bad = await fetch(s.endpoint, { method: 'POST', headers: { 'x-amz-target': 'TrentService.Nope' }, body: '{}' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-strongroom-auth')).toBe('none');
  });

  it('strict mode answers x-strongroom-auth: sigv4 and logs no warning', async () => {
    const lines: string[] = [];
    const s = await start({ log: (line: string) => lines.push(line) });
    expect(lines.join('\n')).not.toMatch(/no credentials/i);
    const res = await fetch(s.endpoint, { method: 'POST', headers: { 'x-amz-target': 'TrentService.ListKeys' }, body: '{}' });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-strongroom-auth')).toBe('sigv4');
  });
});
