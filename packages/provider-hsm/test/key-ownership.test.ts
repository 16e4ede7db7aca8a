/**
 * Attacks on key identity through the cluster client and HsmKeyProvider, against a real 3-node
 * hsm-local cluster: a key planted under the caller's label by another crypto user (label
 * squatting), an encrypted data key that must keep naming the exact key that wrapped it when the
 * label later resolves elsewhere, and a key refused by the availability check that must not linger
 * and replicate (CloudHSM key availability:
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-key-sync.html).
 */
import { getSuite, StrongroomError } from '@strongroom/core';
import { connectHsmNode, type HsmNodeConnection } from '@strongroom/hsm-protocol';
import { startHsmCluster, type LocalHsmCluster } from '@strongroom/testing/servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHsmCluster, type HsmClusterClient } from '../src/cluster/index';
import { HsmKeyProvider } from '../src/key-provider';
import { parseProviderInfo } from '../src/provider-info';
import { APP } from './test-cluster';

const suite = getSuite(0x0478);
const context = { purpose: 'key-ownership' };
const MALLORY = { user: 'mallory', password: 'mallory-pass-1' };

let c: LocalHsmCluster;
const open: Array<HsmClusterClient | HsmNodeConnection> = [];

async function client(extra: Partial<Parameters<typeof connectHsmCluster>[0]> = {}): Promise<HsmClusterClient> {
  const cl = await connectHsmCluster({
    nodes: c.urls.map((url, i) => ({ url, az: c.azs[i] })), trustAnchor: c.info.trustAnchor, clientCert: c.info.clientCert, ...APP, ...extra,
  });
  open.push(cl);
  return cl;
}

async function raw(user: { user: string; password: string }, node = 0): Promise<HsmNodeConnection> {
  const conn = await connectHsmNode({ url: c.urls[node]!, trustAnchor: c.info.trustAnchor, clientCert: c.info.clientCert });
  open.push(conn);
  await conn.call('login', user);
  return conn;
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
  c = await startHsmCluster({ extraCryptoUsers: [MALLORY], syncIntervalMs: 200 });
}, 120_000);

afterAll(async () => {
  await Promise.all(open.map((x) => x.close()));
  await c?.stopAll();
});

describe('label squatting (issue 17 §2.1)', () => {
  it("HsmKeyProvider never wraps under a key another user planted under the caller's label", async () => {
    const mallory = await raw(MALLORY);
    const planted = await mallory.call('key.generate', { type: 'aes', bits: 256, template: { label: 'victim-kek', shareWith: [APP.user] } });
    // Replication is asynchronous: wait until every node shows the planted, shared key to the app's user,
    // so the lookups below cannot pass (or fail) only because the node they reached has not seen it yet.
    const appConns = await Promise.all(c.urls.map((_, i) => raw(APP, i)));
    await until(async () => {
      const found = await Promise.all(appConns.map((conn) => conn.call('key.find', { label: 'victim-kek', includeShared: true })));
      return found.every((keys) => keys.some((k) => k.owner === MALLORY.user));
    });
    const app = await client();
    expect(await app.findKey({ label: 'victim-kek' })).toBeUndefined();
    const victim = HsmKeyProvider({ backend: app, keyLabel: 'victim-kek' });
    const err = await victim.generateDataKey({ suite, encryptionContext: context }).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err, 'KEY_UNAVAILABLE')).toBe(true);
    // Using a shared key is an explicit choice that names its owner, and the provider pins that owner.
    const sharedRef = await app.findKey({ label: 'victim-kek', owner: MALLORY.user });
    expect(sharedRef).toMatchObject({ handle: 'key' in planted ? planted.key.handle : '', owner: MALLORY.user });
    const chosen = HsmKeyProvider({ backend: app, keyLabel: 'victim-kek', keyOwner: MALLORY.user });
    const { plaintextKey, encryptedDataKey } = await chosen.generateDataKey({ suite, encryptionContext: context });
    expect(parseProviderInfo(encryptedDataKey.providerInfo)).toMatchObject({ keyOwner: MALLORY.user });
    expect(await chosen.decryptDataKey({ suite, encryptionContext: context, encryptedDataKey })).toEqual(plaintextKey);
    // The provider's own key under that label is still the caller's, once the caller creates it.
    const own = await app.generateAesKey({ label: 'victim-kek', bits: 256 });
    const mine = HsmKeyProvider({ backend: app, keyLabel: 'victim-kek' });
    const edk = (await mine.generateDataKey({ suite, encryptionContext: context })).encryptedDataKey;
    expect(parseProviderInfo(edk.providerInfo)).toMatchObject({ keyHandle: own.handle, keyOwner: APP.user });
    // An EDK naming a key of another owner is not this provider's to open.
    expect(await mine.decryptDataKey({ suite, encryptionContext: context, encryptedDataKey })).toBeUndefined();
  });
});

describe('an encrypted data key names the exact key (issue 17 §2.11)', () => {
  it('decrypts under the key that wrapped it after the label moved to another key', async () => {
    const app = await client();
    const first = await app.generateAesKey({ label: 'moving-kek', bits: 256 });
    const provider = HsmKeyProvider({ backend: app, keyLabel: 'moving-kek' });
    const { plaintextKey, encryptedDataKey } = await provider.generateDataKey({ suite, encryptionContext: context });
    expect(parseProviderInfo(encryptedDataKey.providerInfo)).toMatchObject({ keyHandle: first.handle });
    // The label now resolves to a different key (a duplicate from a retried creation, a rotation…).
    const conn = await raw(APP);
    await conn.call('key.setAttributes', { handle: first.handle, attributes: { label: 'moving-kek-old' } });
    await app.generateAesKey({ label: 'moving-kek', bits: 256 });
    const later = HsmKeyProvider({ backend: app, keyLabel: 'moving-kek' });
    expect(await later.decryptDataKey({ suite, encryptionContext: context, encryptedDataKey })).toEqual(plaintextKey);
  });
});

describe('a key refused by the availability check (issue 17 §2.11)', () => {
  it('does not linger on the node that created it nor replicate when the other nodes return', async () => {
    const strict = await client();
    const relaxed = await client({ disableKeyAvailabilityCheck: true });
    await c.kill(1);
    await c.kill(2);
    await until(() => strict.health().filter((h) => h.healthy).length === 1);
    const err = await strict.generateAesKey({ label: 'refused-kek', bits: 256 }).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err, 'KEY_UNAVAILABLE')).toBe(true);
    await c.start(1);
    await c.start(2);
    await until(() => relaxed.health().every((h) => h.healthy));
    await until(async () => (await relaxed.syncStatus()).every((s) => s.inSync));
    for (const i of [0, 1, 2]) {
      const conn = await raw(APP, i);
      expect(await conn.call('key.find', { label: 'refused-kek' }), `node ${i}`).toEqual([]);
    }
  }, 60_000);
});
