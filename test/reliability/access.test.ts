/**
 * Access control across packages (issue 9), against real servers. Already covered elsewhere and not
 * repeated here (see docs/reliability.md): HSM lockout after 5 wrong passwords, crypto-user
 * isolation, admin cannot use keys, non-extractable export refused (packages/hsm-local/test/
 * cluster.test.ts); SigV4 with a wrong secret in strict mode (packages/kms-local/test/client-kms.test.ts);
 * keys of a disconnected custom key store (packages/provider-custom-key-store/test/custom-key-store.test.ts).
 *
 * Added here: a real hsm-local node refuses TLS without a client certificate, a client certificate
 * issued by another cluster's CA, and a client that trusts another cluster's CA refuses the node; the
 * cluster client surfaces these as typed errors; KmsKeyProvider against strict kms-local with a wrong
 * secret fails typed without retrying; the wrong HSM password through the cluster client counts toward
 * the node's lockout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient, CreateKeyCommand } from '@aws-sdk/client-kms';
import { createClient, StrongroomError } from '@strongroom/core';
import { initCluster, type ClusterInfo } from '@strongroom/hsm-local';
import { connectHsmNode, parseNodeUrl, wire } from '@strongroom/hsm-protocol';
import { startKmsServer, type KmsServer } from '@strongroom/kms-local';
import { connectHsmCluster } from '@strongroom/provider-hsm';
import { KmsKeyProvider } from '@strongroom/provider-kms';
import { startHsmCluster, type LocalHsmCluster } from '@strongroom/testing/servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let cluster: LocalHsmCluster;
let foreign: ClusterInfo;
const tmp = mkdtempSync(join(tmpdir(), 'strongroom-access-'));

beforeAll(async () => {
  cluster = await startHsmCluster({ azs: ['us-east-1a'], extraCryptoUsers: [{ user: 'victim', password: 'victim-password-1' }] });
  // A second cluster (never started): its CA and client certificate are "another cluster's".
  foreign = await initCluster({ dir: join(tmp, 'foreign'), nodes: [{ az: 'us-east-1a' }], initialAdminPassword: 'initial-pw-1' });
}, 60_000);

afterAll(async () => {
  await cluster?.stopAll();
  rmSync(tmp, { recursive: true, force: true });
});

/** Open a TLS connection with the given client credentials, send one well-formed request (status), and report whether the node answered. */
function probe(cert?: { certPem: string; keyPem: string }): Promise<'answered' | 'refused'> {
  const { host, port } = parseNodeUrl(cluster.urls[0]!);
  return new Promise((resolve) => {
    const s = tls.connect({ host, port, servername: 'localhost', ca: cluster.info.trustAnchor, minVersion: 'TLSv1.3', ...(cert && { cert: cert.certPem, key: cert.keyPem }) });
    let got = false;
    s.on('secureConnect', () => s.write(wire.encodeFrame(wire.FRAME_REQUEST, 1, { op: 'status', args: {} })));
    s.on('data', () => {
      got = true;
      s.destroy();
    });
    s.on('error', () => undefined);
    s.on('close', () => resolve(got ? 'answered' : 'refused'));
    setTimeout(() => s.destroy(), 5_000);
  });
}

describe('hsm-local node: mutual TLS', () => {
  it('a client certificate of the cluster is served (control)', async () => {
    expect(await probe(cluster.info.clientCert)).toBe('answered');
    const conn = await connectHsmNode({ url: cluster.urls[0]!, trustAnchor: cluster.info.trustAnchor, clientCert: cluster.info.clientCert });
    await expect(conn.call('login', cluster.cryptoUser)).resolves.toBeDefined();
    conn.close();
  });

  it('TLS without a client certificate is refused before any operation', async () => {
    expect(await probe()).toBe('refused');
  });

  it('a client certificate from another cluster\'s CA is refused', async () => {
    expect(await probe(foreign.clientCert)).toBe('refused');
    const err = await connectHsmNode({ url: cluster.urls[0]!, trustAnchor: cluster.info.trustAnchor, clientCert: foreign.clientCert })
      .then((c) => c.call('login', cluster.cryptoUser).finally(() => c.close()))
      .catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err)).toBe(true);
    const viaCluster = await connectHsmCluster({
      nodes: [{ url: cluster.urls[0]! }], trustAnchor: cluster.info.trustAnchor, clientCert: foreign.clientCert, ...cluster.cryptoUser, failoverTimeoutMs: 1_000,
    }).then((c) => c.close().then(() => 'connected'), (e: unknown) => e);
    expect(StrongroomError.isInstance(viaCluster)).toBe(true);
  });

  it('a client trusting another cluster\'s CA refuses the node (server authentication)', async () => {
    const err = await connectHsmNode({ url: cluster.urls[0]!, trustAnchor: foreign.trustAnchor, clientCert: foreign.clientCert }).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err)).toBe(true);
  });
});

describe('hsm-local: wrong passwords through the cluster client', () => {
  it('each refused login is ACCESS_DENIED and counts toward the lockout; then even the right password is refused', async () => {
    const opts = { nodes: [{ url: cluster.urls[0]! }], trustAnchor: cluster.info.trustAnchor, clientCert: cluster.info.clientCert, user: 'victim', failoverTimeoutMs: 1_000 };
    const codes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const e = await connectHsmCluster({ ...opts, password: `wrong-${i}` }).then((c) => c.close().then(() => 'connected'), (x: unknown) => x);
      codes.push(StrongroomError.isInstance(e) ? e.code : String(e));
    }
    expect(codes).toEqual(Array(6).fill('ACCESS_DENIED'));
    const right = await connectHsmCluster({ ...opts, password: 'victim-password-1' }).then((c) => c.close().then(() => 'connected'), (x: unknown) => x);
    expect(StrongroomError.isInstance(right, 'ACCESS_DENIED')).toBe(true);
    expect((right as Error).message).toMatch(/lock/i);
    // The other crypto user is unaffected.
    const app = await connectHsmCluster({ ...opts, ...cluster.cryptoUser });
    await app.close();
  });
});

describe('kms-local strict mode through KmsKeyProvider', () => {
  let kms: KmsServer;
  const secret = { accessKeyId: 'AKIDRELIABILITY', secretAccessKey: 'reliability-secret' };
  beforeAll(async () => {
    kms = await startKmsServer({ dataDir: join(tmp, 'kms'), credentials: secret });
  });
  afterAll(async () => kms?.close());

  it('a wrong secret fails typed (ACCESS_DENIED), once, with the AWS error as cause; the right one works', async () => {
    const good = new KMSClient({ endpoint: kms.endpoint, region: 'us-east-1', credentials: secret, maxAttempts: 1 });
    const bad = new KMSClient({ endpoint: kms.endpoint, region: 'us-east-1', credentials: { ...secret, secretAccessKey: 'guess' }, maxAttempts: 1 });
    try {
      const arn = (await good.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
      kms.resetRequestCounts();
      const err = await createClient({ keyProvider: KmsKeyProvider({ generatorKeyId: arn, clientProvider: () => bad }) })
        .encrypt('x', { encryptionContext: {} })
        .catch((e: unknown) => e);
      expect(StrongroomError.isInstance(err)).toBe(true);
      console.log(`wrong SigV4 secret → ${(err as StrongroomError).code}; cause ${((err as Error).cause as Error)?.name}`);
      expect(((err as Error).cause as Error)?.name).toBe('InvalidSignatureException');
      expect(kms.requestCounts.GenerateDataKey).toBe(1); // not retried
      const ok = createClient({ keyProvider: KmsKeyProvider({ generatorKeyId: arn, clientProvider: () => good }) });
      const { ciphertext } = await ok.encrypt('x', { encryptionContext: {} });
      expect(Buffer.from((await ok.decrypt(ciphertext)).plaintext).toString()).toBe('x');
    } finally {
      good.destroy();
      bad.destroy();
    }
  });
});
