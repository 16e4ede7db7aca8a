/**
 * Attacks on key ownership, against a 3-node cluster of real node processes over mutual TLS:
 * label squatting, export through wrap by a shared user, stale shares after a user is deleted,
 * enumeration by unauthenticated callers and crypto users, and duplicate keys from a retried
 * creation. Ownership rules follow CloudHSM key sharing
 * (https://docs.aws.amazon.com/cloudhsm/latest/userguide/share-keys.html): an owner manages a key,
 * a user it is shared with only uses it.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import { StrongroomError } from '@strongroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HsmNodeConnection } from '../../src/index';
import { eventually, startTestCluster, type TestCluster } from '../helpers';

type Key = { handle: string; label: string; owner: string; sharedWith: string[] };

let c: TestCluster;
let admin: HsmNodeConnection;
const PW = { admin: 'admin-pass-1', alice: 'alice-pass-1', bob: 'bob-pass-1', mallory: 'mallory-pass', carol: 'carol-pass-1' };

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (!StrongroomError.isInstance(e)) throw e;
    return `${e.code}:${String(e.details?.reason ?? '')}`;
  }
  throw new Error('expected the call to fail');
}

async function loginEverywhere(user: string, password: string): Promise<HsmNodeConnection[]> {
  return Promise.all([0, 1, 2].map((i) => eventually(() => c.login(i, user, password).catch(() => undefined))));
}

beforeAll(async () => {
  c = await startTestCluster({ syncIntervalMs: 200 });
  admin = await c.connect(0);
  await admin.call('login', { user: 'admin', password: 'initial-pw-1' });
  await admin.call('user.changePassword', { newPassword: PW.admin });
  for (const user of ['alice', 'bob', 'mallory', 'carol'] as const) await admin.call('user.create', { user, role: 'crypto-user', password: PW[user] });
}, 60_000);

afterAll(async () => {
  await c?.stopAll();
});

describe('label squatting (issue 17 §2.1)', () => {
  it("a label lookup returns only the caller's own keys unless shared keys are asked for", async () => {
    const [mallory] = await loginEverywhere('mallory', PW.mallory);
    const [alice] = await loginEverywhere('alice', PW.alice);
    // Mallory plants a key under Alice's label and shares it with her before Alice creates hers.
    await mallory!.callUnchecked('key.generate', { type: 'aes', bits: 256, template: { label: 'alice-kek', shareWith: ['alice'] } });
    expect(await alice!.callUnchecked<Key[]>('key.find', { label: 'alice-kek' })).toEqual([]);
    const shared = await alice!.callUnchecked<Key[]>('key.find', { label: 'alice-kek', includeShared: true });
    expect(shared.map((k) => k.owner)).toEqual(['mallory']);
    const own = await alice!.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 256, template: { label: 'alice-kek' } });
    expect((await alice!.callUnchecked<Key[]>('key.find', { label: 'alice-kek' })).map((k) => k.handle)).toEqual([own.key.handle]);
  });
});

describe('export through wrap by a shared user (issue 17 §2.7)', () => {
  it('a user a key is shared with cannot wrap it out or export it; the owner can', async () => {
    const [alice] = await loginEverywhere('alice', PW.alice);
    const [bob] = await loginEverywhere('bob', PW.bob);
    const secret = await alice!.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 256, template: { label: 'ext-secret', extractable: true, shareWith: ['bob'] } });
    const bobWrap = await bob!.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 256, template: { label: 'bob-wrap', wrap: true } });
    const aliceWrap = await alice!.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 256, template: { label: 'alice-wrap', wrap: true } });
    // Bob may still use the shared key.
    await bob!.callUnchecked('aes.gcmEncrypt', { handle: secret.key.handle, plaintext: new Uint8Array(16) });
    expect(await reason(bob!.callUnchecked('key.wrap', { handle: secret.key.handle, wrappingHandle: bobWrap.key.handle, mechanism: 'aes-kwp' }))).toBe('ACCESS_DENIED:NOT_OWNER');
    expect(await reason(bob!.callUnchecked('key.export', { handle: secret.key.handle }))).toBe('ACCESS_DENIED:NOT_OWNER');
    const w = await alice!.callUnchecked<{ wrapped: Uint8Array }>('key.wrap', { handle: secret.key.handle, wrappingHandle: aliceWrap.key.handle, mechanism: 'aes-kwp' });
    expect(w.wrapped.length).toBeGreaterThan(32);
  });
});

describe('stale shares (issue 17 §2.8)', () => {
  it('deleting a user removes their shares on every node; a new user with the same name inherits nothing', async () => {
    const [alice] = await loginEverywhere('alice', PW.alice);
    await loginEverywhere('carol', PW.carol);
    const k = await alice!.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 256, template: { label: 'for-carol', shareWith: ['carol'] } });
    expect(k.key.sharedWith).toEqual(['carol']);
    await admin.call('user.delete', { user: 'carol' });
    await admin.call('user.create', { user: 'carol', role: 'crypto-user', password: 'carol-pass-2' });
    const again = await loginEverywhere('carol', 'carol-pass-2');
    for (const conn of again) {
      expect(await reason(conn.callUnchecked('aes.gcmEncrypt', { handle: k.key.handle, plaintext: new Uint8Array(16) }))).toBe('KEY_UNAVAILABLE:');
      expect(await conn.callUnchecked<Key[]>('key.find', { label: 'for-carol', includeShared: true })).toEqual([]);
    }
    // The share list itself no longer names the deleted user, on every node.
    const views = await loginEverywhere('alice', PW.alice);
    for (const v of views) {
      await eventually(async () => (await v.callUnchecked<Key>('key.getAttributes', { handle: k.key.handle })).sharedWith.length === 0);
    }
  });
});

describe('enumeration (issue 17 §2.9)', () => {
  it('an unauthenticated caller learns liveness only', async () => {
    const anon = await c.connect(1);
    const s = await anon.callUnchecked<Record<string, unknown>>('status', {});
    expect(s.state).toBe('ACTIVE');
    for (const f of ['objects', 'keys', 'digest', 'auditSeq', 'sessions', 'peers']) expect(s[f], f).toBeUndefined();
    expect(await reason(anon.callUnchecked('sync.digest', {}))).toBe('ACCESS_DENIED:NODE_ONLY');
  });

  it('a crypto user sees no other handles or user names through status or sync.*', async () => {
    const [bob] = await loginEverywhere('bob', PW.bob);
    const s = await bob!.callUnchecked<Record<string, unknown>>('status', {});
    for (const f of ['objects', 'auditSeq', 'sessions', 'peers']) expect(s[f], f).toBeUndefined();
    expect(await reason(bob!.callUnchecked('sync.digest', {}))).toBe('ACCESS_DENIED:NODE_ONLY');
    expect(await reason(bob!.callUnchecked('sync.has', { ids: ['u:alice'] }))).toBe('ACCESS_DENIED:NODE_ONLY');
    expect(await reason(bob!.callUnchecked('sync.get', { ids: ['u:alice'] }))).toBe('ACCESS_DENIED:NODE_ONLY');
  });
});

describe('retried key creation (issue 17 §2.11)', () => {
  it('a retry with the same request id returns the same key on any node', async () => {
    const conns = await loginEverywhere('alice', PW.alice);
    const args = { type: 'aes', bits: 256, requestId: 'req-0001-retry', template: { label: 'retried' } };
    const first = await conns[0]!.callUnchecked<{ key: Key }>('key.generate', args);
    // The retry lands on another node once the first key has replicated there.
    await eventually(async () => (await conns[2]!.callUnchecked<Key[]>('key.find', { label: 'retried' })).length === 1);
    const retry = await conns[2]!.callUnchecked<{ key: Key }>('key.generate', args);
    expect(retry.key.handle).toBe(first.key.handle);
    // Once the nodes have converged, each holds exactly one key under the label.
    const admins = await loginEverywhere('admin', PW.admin);
    await eventually(async () => new Set(await Promise.all(admins.map(async (x) => (await x.call('status', {})).digest))).size === 1);
    for (const conn of conns) expect((await conn.callUnchecked<Key[]>('key.find', { label: 'retried' })).length).toBe(1);
  });

  it('a retried import or unwrap with the same request id returns the same key on any node; other material under that id is refused', async () => {
    const conns = await loginEverywhere('alice', PW.alice);
    const material = randomBytes(32);
    const imp = { format: 'raw-aes', material, requestId: 'req-import-0001', template: { label: 'imported-once', unwrap: true } };
    const first = await conns[0]!.callUnchecked<{ key: Key }>('key.import', imp);
    await eventually(async () => (await conns[1]!.callUnchecked<Key[]>('key.find', { label: 'imported-once' })).length === 1);
    expect((await conns[1]!.callUnchecked<{ key: Key }>('key.import', imp)).key.handle).toBe(first.key.handle);
    expect(await reason(conns[1]!.callUnchecked('key.import', { ...imp, material: randomBytes(32) }))).toBe('INVALID_ARGUMENT:');
    expect((await conns[1]!.callUnchecked<Key[]>('key.find', { label: 'imported-once' })).length).toBe(1);

    // Unwrap under the imported key: RFC 3394 AES key wrap computed here, outside the HSM.
    const kw = createCipheriv('id-aes256-wrap', material, Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
    const wrapped = Buffer.concat([kw.update(randomBytes(32)), kw.final()]);
    const unw = { mechanism: 'aes-kw', unwrappingHandle: first.key.handle, keyType: 'aes', wrapped, requestId: 'req-unwrap-0001', template: { label: 'unwrapped-once' } };
    const u1 = await conns[1]!.callUnchecked<{ key: Key }>('key.unwrap', unw);
    await eventually(async () => (await conns[2]!.callUnchecked<Key[]>('key.find', { label: 'unwrapped-once' })).length === 1);
    expect((await conns[2]!.callUnchecked<{ key: Key }>('key.unwrap', unw)).key.handle).toBe(u1.key.handle);
    const kw2 = createCipheriv('id-aes256-wrap', material, Buffer.from('A6A6A6A6A6A6A6A6', 'hex'));
    const other = Buffer.concat([kw2.update(randomBytes(32)), kw2.final()]);
    expect(await reason(conns[2]!.callUnchecked('key.unwrap', { ...unw, wrapped: other }))).toBe('INVALID_ARGUMENT:');
    // Once the nodes have converged, each holds exactly one key under the label (node 0 may still be
    // receiving it: replication is asynchronous).
    const admins = await loginEverywhere('admin', PW.admin);
    await eventually(async () => new Set(await Promise.all(admins.map(async (x) => (await x.call('status', {})).digest))).size === 1);
    for (const conn of conns) expect((await conn.callUnchecked<Key[]>('key.find', { label: 'unwrapped-once' })).length).toBe(1);
  });

  it("another user replaying a request id (or __proto__ as one) gets no one else's key", async () => {
    const [alice] = await loginEverywhere('alice', PW.alice);
    const [bob] = await loginEverywhere('bob', PW.bob);
    const material = randomBytes(32);
    for (const requestId of ['req-tenant-0001', '__proto__', 'constructor']) {
      const args = { format: 'raw-aes', material, requestId, template: { label: `tenant-${requestId}` } };
      const mine = await alice!.callUnchecked<{ key: Key }>('key.import', args);
      const theirs = await bob!.callUnchecked<{ key: Key }>('key.import', args);
      expect(theirs.key.handle).not.toBe(mine.key.handle);
      expect(theirs.key.owner).not.toBe(mine.key.owner);
    }
  });

  it('duplicate labels resolve to the same key on every node (oldest first)', async () => {
    const conns = await loginEverywhere('alice', PW.alice);
    const a = await conns[0]!.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 256, template: { label: 'twice' } });
    await conns[1]!.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 256, template: { label: 'twice' } });
    for (const conn of conns) {
      await eventually(async () => (await conn.callUnchecked<Key[]>('key.find', { label: 'twice' })).length === 2);
      expect((await conn.callUnchecked<Key[]>('key.find', { label: 'twice' }))[0]!.handle).toBe(a.key.handle);
    }
  });
});
