/**
 * Every custom key store request has a deadline, and a retry never doubles a creation. kms-local runs as
 * a real process (so it can be stopped with SIGSTOP: the kernel still accepts connections, nothing
 * answers — a hung peer, not a dead one) in front of a 3-process hsm-local cluster; the admin API and
 * the provider's DescribeKey talk to it through the real @aws-sdk/client-kms, some through a TCP relay
 * that can lose one answer (the request arrives and takes effect, the response never comes back: AWS
 * KMS API Reference, CreateCustomKeyStore / CreateKey).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeCustomKeyStoresCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { StrongroomError } from '@strongroom/core';
import { spawnKmsLocal, type KmsLocalProcess } from '@strongroom/testing/servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomKeyStoreAdmin, CustomKeyStoreKeyProvider } from '../src/index';
import { KMSUSER_PASSWORD, startTestCluster, type TestCluster } from './cluster';

const CREDENTIALS = { accessKeyId: 'AKIDCKSDEADLINE', secretAccessKey: 'cks-deadline-secret' };

/**
 * A TCP relay to `port`. `loseAnswerTo(target)` makes the next connection that carries a request for
 * `X-Amz-Target: TrentService.<target>` deliver it, but swallow every byte coming back on it.
 */
function relay(port: number): Promise<{ port: number; loseAnswerTo(target: string): void; lost(): number; close(): Promise<void> }> {
  let armed: string | undefined;
  let lost = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect({ host: '127.0.0.1', port });
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    let swallow = false;
    let seen = '';
    inbound.on('data', (d: Buffer) => {
      if (armed !== undefined && !swallow) {
        seen = (seen + d.toString('latin1')).slice(-8192);
        if (seen.toLowerCase().includes(`trentservice.${armed.toLowerCase()}`)) {
          swallow = true;
          armed = undefined;
          lost++;
        }
      }
      outbound.write(d);
    });
    outbound.on('data', (d: Buffer) => void (swallow || inbound.write(d)));
    inbound.on('end', () => outbound.end());
    outbound.on('end', () => void (swallow || inbound.end()));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        loseAnswerTo: (target) => void (armed = target),
        lost: () => lost,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

let cluster: TestCluster;
let kms: KmsLocalProcess;
let child: ChildProcess;
let dir: string;
let endpoint: string;
let proxy: Awaited<ReturnType<typeof relay>>;
const clients: KMSClient[] = [];
/** A client of kms-local; `viaRelay` connects through the relay (the signed Host stays kms-local's, which it checks). */
const kmsClient = (viaRelay = false) => {
  const httpAgent = viaRelay ? Object.assign(new Agent({ keepAlive: true }), { createConnection: () => net.connect({ host: '127.0.0.1', port: proxy.port }) }) : undefined;
  const c = new KMSClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1, ...(httpAgent && { requestHandler: { httpAgent } }) });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  cluster = await startTestCluster();
  dir = mkdtempSync(join(tmpdir(), 'cks-deadline-'));
  const registration = {
    clusters: [
      {
        clusterId: cluster.info.clusterId,
        nodes: cluster.urls.map((url, i) => ({ url, az: cluster.info.nodes[i]!.az })),
        trustAnchorPem: cluster.info.trustAnchor,
        clientCertPem: cluster.info.clientCert.certPem,
        clientKeyPem: cluster.info.clientCert.keyPem,
      },
    ],
  };
  writeFileSync(join(dir, 'clusters.json'), JSON.stringify(registration), { mode: 0o600 });
  kms = await spawnKmsLocal(['--data-dir', join(dir, 'data'), '--port', '0', '--hsm-clusters', join(dir, 'clusters.json')], CREDENTIALS);
  child = kms.child;
  endpoint = kms.endpoint;
  proxy = await relay(Number(new URL(endpoint).port));
}, 180_000);

afterAll(async () => {
  for (const c of clients) c.destroy();
  await proxy?.close();
  await kms?.kill();
  for (const n of cluster?.nodes ?? []) if (n && !n.exited) process.kill(n.pid, 'SIGCONT');
  await cluster?.stopAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<StrongroomError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!StrongroomError.isInstance(e)) throw new Error(`expected a StrongroomError, got ${String(e)}`);
  return e;
}

async function storesNamed(name: string): Promise<number> {
  const out = await kmsClient().send(new DescribeCustomKeyStoresCommand({})).catch(() => ({ CustomKeyStores: [] }));
  return (out.CustomKeyStores ?? []).filter((s) => s.CustomKeyStoreName === name).length;
}

describe('custom key store calls: deadlines and idempotent retries', () => {
  let storeId: string;
  let keyArn: string;

  it('a CreateCustomKeyStore whose answer is lost is retried and makes one store, not two', async () => {
    const admin = createCustomKeyStoreAdmin({ client: kmsClient(true), retry: { attemptTimeoutMs: 4000, maxAttempts: 3, baseDelayMs: 1 } });
    proxy.loseAnswerTo('CreateCustomKeyStore');
    storeId = await admin.createCustomKeyStore({ name: 'lost-answer', clusterId: cluster.info.clusterId, trustAnchorPem: cluster.info.trustAnchor, kmsuserPassword: KMSUSER_PASSWORD });
    expect(proxy.lost()).toBe(1);
    expect(storeId).toMatch(/^cks-/);
    expect(await storesNamed('lost-answer')).toBe(1);
    const [store] = await admin.describe(storeId);
    expect(store).toMatchObject({ name: 'lost-answer', clusterId: cluster.info.clusterId, connectionState: 'DISCONNECTED' });
  }, 60_000);

  it('a CreateKey whose answer is lost is not retried: one key at most, and the error says the outcome is unknown', async () => {
    const admin = createCustomKeyStoreAdmin({ client: kmsClient(true), retry: { attemptTimeoutMs: 3000, maxAttempts: 3, baseDelayMs: 1 } });
    expect((await admin.connect(storeId, { timeoutMs: 60_000 })).connectionState).toBe('CONNECTED');
    const before = (await kmsClient().send(new ListKeysCommand({}))).Keys?.length ?? 0;
    proxy.loseAnswerTo('CreateKey');
    const e = await failure(admin.createKey(storeId));
    expect(e.code).toBe('PROVIDER_ERROR');
    expect(e.details).toMatchObject({ reason: 'TIMEOUT', attempts: 1, operation: 'CreateKey' });
    expect(e.message).toMatch(/no answer from KMS to CreateKey within 3000 ms.*not retried.*unknown/);
    // The one attempt did reach KMS (its answer was lost): exactly one new key, never two.
    const keys = (await kmsClient().send(new ListKeysCommand({}))).Keys ?? [];
    expect(keys.length).toBe(before + 1);
    keyArn = keys[keys.length - 1]!.KeyArn!;
  }, 60_000);

  it('against a SIGSTOPped kms-local every admin call and the provider\'s DescribeKey end typed at their deadline', async () => {
    const retry = { attemptTimeoutMs: 300, maxAttempts: 2, baseDelayMs: 1 };
    const admin = createCustomKeyStoreAdmin({ client: kmsClient(), retry });
    const provider = CustomKeyStoreKeyProvider({ client: kmsClient(), keyIds: [keyArn], retry });
    const before = (await kmsClient().send(new ListKeysCommand({}))).Keys?.length ?? 0;
    const calls: Array<[string, number, () => Promise<unknown>]> = [
      ['DescribeCustomKeyStores', 2, () => admin.describe(storeId)],
      ['ConnectCustomKeyStore', 2, () => admin.connect(storeId)],
      ['DisconnectCustomKeyStore', 2, () => admin.disconnect(storeId)],
      ['UpdateCustomKeyStore', 2, () => admin.update(storeId, { name: 'lost-answer' })],
      ['DeleteCustomKeyStore', 2, () => admin.delete(storeId)],
      ['CreateCustomKeyStore', 2, () => admin.createCustomKeyStore({ name: 'lost-answer', clusterId: cluster.info.clusterId, trustAnchorPem: cluster.info.trustAnchor, kmsuserPassword: KMSUSER_PASSWORD })],
      ['CreateKey', 1, () => admin.createKey(storeId)],
      ['DescribeKey', 2, () => provider.checkStores()],
    ];
    child.kill('SIGSTOP');
    try {
      for (const [operation, attempts, call] of calls) {
        const started = Date.now();
        const e = await failure(call());
        const elapsed = Date.now() - started;
        expect({ operation, code: e.code, reason: e.details?.reason, attempts: e.details?.attempts }).toEqual({ operation, code: 'PROVIDER_ERROR', reason: 'TIMEOUT', attempts });
        expect(e.message).toContain(`no answer from KMS to ${operation} within 300 ms`);
        // Bounded by the deadlines (not the SDK's or the OS's socket timeouts, minutes); generous for a loaded machine.
        expect(elapsed).toBeGreaterThanOrEqual(300 * attempts - 5);
        expect(elapsed).toBeLessThan(15_000);
      }
    } finally {
      child.kill('SIGCONT');
    }
    // The requests KMS reads late do what one request does: the unretried CreateKey made one key at most.
    const after = (await kmsClient().send(new ListKeysCommand({}))).Keys?.length ?? 0;
    expect(after - before).toBeLessThanOrEqual(1);
    expect(await storesNamed('lost-answer')).toBe(1);
  }, 120_000);

  it('kms-local → hsm-local: a connect to a cluster whose nodes all hang ends FAILED (NETWORK_ERRORS), not CONNECTING forever', async () => {
    const admin = createCustomKeyStoreAdmin({ client: kmsClient() });
    // The late requests above may have left any state: start from DISCONNECTED.
    await admin.disconnect(storeId);
    for (const n of cluster.nodes) process.kill(n!.pid, 'SIGSTOP');
    try {
      const e = await failure(admin.connect(storeId, { timeoutMs: 90_000 }));
      expect(e.code).toBe('KEY_UNAVAILABLE');
      expect(e.details).toMatchObject({ connectionState: 'FAILED', connectionErrorCode: 'NETWORK_ERRORS' });
    } finally {
      for (const n of cluster.nodes) process.kill(n!.pid, 'SIGCONT');
    }
  }, 120_000);
});
