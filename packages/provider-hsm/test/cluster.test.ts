/**
 * The cluster client against a real 3-node hsm-local cluster (separate processes, 3 AZ labels):
 * load balancing with AZ preference, failover under load with SIGKILL (zero failed calls),
 * client-side replication and the key availability check, rejoin of recovered nodes.
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import { connectHsmNode } from '@strongroom/hsm-protocol';
import { describeKeyProviderConformance } from '@strongroom/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HsmKeyProvider } from '../src/key-provider';
import { connectHsmCluster, type HsmClusterClient } from '../src/cluster/index';
import { APP, startProcCluster, type ProcCluster } from './test-cluster';

let c: ProcCluster;
const open: HsmClusterClient[] = [];

async function client(extra: Partial<Parameters<typeof connectHsmCluster>[0]> = {}, nodes?: number[]): Promise<HsmClusterClient> {
  const cl = await connectHsmCluster({
    nodes: (nodes ?? [0, 1, 2]).map((i) => ({ url: c.urls[i]!, az: c.info.nodes[i]!.az })),
    trustAnchor: c.info.trustAnchor,
    clientCert: c.info.clientCert,
    ...APP,
    ...extra,
  });
  open.push(cl);
  return cl;
}

// A ceiling for replication and health checks on a loaded machine (test files run concurrently).
async function until(fn: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  c = await startProcCluster();
}, 120_000);

afterAll(async () => {
  await Promise.all(open.map((x) => x.close()));
  await c?.stopAll();
});

// Runs first, while all three nodes are up (later tests kill nodes).
describeKeyProviderConformance('HsmKeyProvider over the hsm-local cluster client', async () => {
  const hsm = await client({ az: 'us-east-1a' });
  await hsm.generateAesKey({ label: 'conformance-kek', bits: 256 });
  await hsm.generateAesKey({ label: 'conformance-other', bits: 256 });
  return {
    provider: HsmKeyProvider({ backend: hsm, keyLabel: 'conformance-kek' }),
    other: HsmKeyProvider({ backend: hsm, keyLabel: 'conformance-other' }),
  };
});

describe('connectHsmCluster', () => {
  it('rejects bad credentials with ACCESS_DENIED', async () => {
    const err = await connectHsmCluster({ nodes: c.urls.map((url) => ({ url })), trustAnchor: c.info.trustAnchor, clientCert: c.info.clientCert, user: APP.user, password: 'wrong-password' }).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err, 'ACCESS_DENIED')).toBe(true);
  });

  it('succeeds when one node accepts the login although others do not know the user yet, and they join later', async () => {
    // Node 2 restarts isolated (no peers to pull from), so a user created now exists on nodes 0 and 1 only.
    await c.kill(2);
    await c.start(2, { peers: [] });
    const admin = await connectHsmNode({ url: c.urls[0]!, trustAnchor: c.info.trustAnchor, clientCert: c.info.clientCert });
    try {
      await admin.call('login', { user: 'admin', password: c.adminPassword });
      await admin.call('user.create', { user: 'fresh', role: 'crypto-user', password: 'fresh-password-1' });
    } finally {
      admin.close();
    }
    const hsm = await connectHsmCluster({
      nodes: [...c.urls].reverse().map((url) => ({ url })), trustAnchor: c.info.trustAnchor, clientCert: c.info.clientCert,
      user: 'fresh', password: 'fresh-password-1', reconnectIntervalMs: 50,
    });
    open.push(hsm);
    expect(hsm.health().filter((h) => h.healthy).length).toBeGreaterThanOrEqual(1);
    expect(hsm.health().find((h) => h.url === c.urls[2])!.healthy).toBe(false);
    expect((await hsm.generateRandom(8)).length).toBe(8);
    // Back with its peers, node 2 pulls the user and the client's background retry logs it in.
    await c.kill(2);
    await c.start(2);
    await until(async () => hsm.health().every((h) => h.healthy));
  });

  it('creates keys replicated to every node and runs every HsmBackend operation', async () => {
    const hsm = await client();
    expect(hsm.kind).toBe('cluster');
    expect(hsm.id).toBe(c.info.clusterId);
    const kek = await hsm.generateAesKey({ label: 'kek-basic', bits: 256 });
    expect(await hsm.keyReplicaCount(kek)).toBe(3);
    const aad = Buffer.from('ctx');
    const enc = await hsm.aesGcmEncrypt(kek, Buffer.from('data key'), aad);
    expect(enc.iv.length).toBe(12);
    expect(Buffer.from(await hsm.aesGcmDecrypt(kek, { ...enc, aad })).toString()).toBe('data key');
    const bad = { ...enc, aad: Buffer.from('other') };
    expect(await hsm.aesGcmDecrypt(kek, bad).catch((e: unknown) => StrongroomError.isInstance(e, 'AUTHENTICATION_FAILED'))).toBe(true);
    expect((await hsm.findKey({ label: 'kek-basic' }))?.handle).toBe(kek.handle);
    expect(await hsm.findKey({ label: 'no-such-key' })).toBeUndefined();

    const pair = await hsm.generateKeyPair({ label: 'signer', type: 'ec', curve: 'P-256' });
    const sig = await hsm.sign(pair.privateKey, { type: 'ecdsa', hash: 'sha256' }, Buffer.from('msg'));
    const spki = await hsm.exportPublicKey!(pair.privateKey);
    expect(nodeVerify('sha256', Buffer.from('msg'), { key: createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }), dsaEncoding: 'der' }, sig)).toBe(true);
    expect(await hsm.verify(pair.publicKey, { type: 'ecdsa', hash: 'sha256' }, Buffer.from('msg'), sig)).toBe(true);
    expect(await hsm.verify(pair.publicKey, { type: 'ecdsa', hash: 'sha256' }, Buffer.from('other'), sig)).toBe(false);
    const mk = await hsm.generateGenericSecret({ label: 'mac', bits: 256 });
    expect((await hsm.hmac(mk, 'sha256', Buffer.from('x'))).length).toBe(32);
    expect((await hsm.generateRandom(100_000)).length).toBe(100_000);

    await hsm.deleteKey(kek);
    await until(async () => (await hsm.keyReplicaCount(kek)) === 0);
    const gone = await hsm.aesGcmEncrypt(kek, Buffer.from('x'), aad).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(gone, 'KEY_UNAVAILABLE')).toBe(true);
  });

  it('prefers nodes in its own AZ', async () => {
    const hsm = await client({ az: 'us-east-1b' });
    const kek = await hsm.generateAesKey({ label: 'kek-az', bits: 128 });
    for (let i = 0; i < 30; i++) await hsm.aesGcmEncrypt(kek, Buffer.from('x'), Buffer.alloc(0));
    await new Promise((r) => setTimeout(r, 300)); // audit group commit
    const counts = c.info.nodes.map((n) => (readFileSync(join(n.dataDir, 'audit.log'), 'utf8').match(new RegExp(`"op":"aes.gcmEncrypt","user":"app"[^\\n]*"handle":"${kek.handle}"`, 'g')) ?? []).length);
    expect(counts).toEqual([0, 30, 0]);
  });

  it('fails over under concurrent load when a node is SIGKILLed, with zero failed calls, and rejoins it', async () => {
    const hsm = await client();
    const kek = await hsm.generateAesKey({ label: 'kek-failover', bits: 256 });
    let stop = false;
    let ok = 0;
    const failures: unknown[] = [];
    let worst = 0;
    const worker = async () => {
      while (!stop) {
        const t0 = performance.now();
        try {
          const aad = Buffer.from('a');
          const enc = await hsm.aesGcmEncrypt(kek, Buffer.from('payload'), aad);
          const pt = await hsm.aesGcmDecrypt(kek, { ...enc, aad });
          if (Buffer.from(pt).toString() !== 'payload') throw new Error('wrong plaintext');
          ok++;
        } catch (e) {
          failures.push(e);
        }
        worst = Math.max(worst, performance.now() - t0);
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    await new Promise((r) => setTimeout(r, 400));
    await c.kill(0);
    await new Promise((r) => setTimeout(r, 800));
    await c.start(0);
    await until(() => hsm.health().every((h) => h.healthy));
    await new Promise((r) => setTimeout(r, 400));
    stop = true;
    await Promise.all(workers);
    console.log(`failover: ${ok} encrypt+decrypt pairs, ${failures.length} failed, worst latency ${worst.toFixed(1)} ms`);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(0);
    expect(hsm.health().map((h) => h.healthy)).toEqual([true, true, true]);
  });

  it('a key created while a node is down becomes usable on that node after it returns', async () => {
    const hsm = await client();
    await c.kill(2);
    await until(() => !hsm.health()[2]!.healthy);
    const kek = await hsm.generateAesKey({ label: 'kek-while-down', bits: 256 });
    expect(await hsm.keyReplicaCount(kek)).toBe(2);
    await c.start(2);
    await until(async () => (await hsm.keyReplicaCount(kek)) === 3);
    // A client that can only reach the returned node uses the key there.
    const only2 = await client({ keyAvailability: 1 }, [2]);
    const enc = await only2.aesGcmEncrypt(kek, Buffer.from('back'), Buffer.alloc(0));
    expect(Buffer.from(await hsm.aesGcmDecrypt(kek, { ...enc, aad: Buffer.alloc(0) })).toString()).toBe('back');
    const status = await hsm.syncStatus();
    await until(async () => (await hsm.syncStatus()).every((s) => s.inSync));
    expect(status.map((s) => s.az)).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
  });

  it('with one node alive, key creation fails the availability check unless it is disabled', async () => {
    const hsm = await client();
    const relaxed = await client({ disableKeyAvailabilityCheck: true });
    await c.kill(1);
    await c.kill(2);
    await until(() => hsm.health().filter((h) => h.healthy).length === 1 && relaxed.health().filter((h) => h.healthy).length === 1);
    const err = await hsm.generateAesKey({ label: 'kek-lonely', bits: 256 }).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err, 'KEY_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/does not meet the availability requirements - The key must be available on at least 2 HSMs/);
    expect((err as Error).message).toMatch(/disableKeyAvailabilityCheck/);
    const k = await relaxed.generateAesKey({ label: 'kek-lonely-ok', bits: 256 });
    const enc = await relaxed.aesGcmEncrypt(k, Buffer.from('solo'), Buffer.alloc(0));
    expect(Buffer.from(await relaxed.aesGcmDecrypt(k, { ...enc, aad: Buffer.alloc(0) })).toString()).toBe('solo');
    // The strict client refuses to use the lonely key too.
    const use = await hsm.aesGcmEncrypt(k, Buffer.from('x'), Buffer.alloc(0)).catch((e: unknown) => e);
    expect((use as Error).message).toMatch(/must be available on at least 2 HSMs/);
  });
});
