/**
 * A 3-node hsm-local cluster (3 AZ labels) of real processes over mutual TLS: users and roles,
 * lockout, keys and attributes, mechanisms, sharing, quorum, replication, limits, audit,
 * crash durability (SIGKILL), tamper response and backup/restore.
 */
import { execFile } from 'node:child_process';
import { createHash, createHmac, createPublicKey, generateKeyPairSync, verify as nodeVerify, constants, publicEncrypt, createDecipheriv } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StrongroomError } from '@strongroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNodeFromBackup, defaultCliPath, signQuorumToken, startHsmNode, verifyNodeAuditLog, type HsmNodeConnection } from '../src/index';
import { eventually, freePort, startTestCluster, type TestCluster } from './helpers';

type Key = { handle: string; label: string; attrs: Record<string, boolean>; owner: string; sharedWith: string[]; pairHandle: string | null };

let c: TestCluster;
let admin: HsmNodeConnection;
let alice: HsmNodeConnection;
let bob: HsmNodeConnection;
const PW = { admin: 'admin-pass-1', admin2: 'admin2-pass-1', alice: 'alice-pass-1', bob: 'bob-pass-1', mallory: 'mallory-pass' };

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (!StrongroomError.isInstance(e)) throw e;
    return `${e.code}:${String(e.details?.reason ?? '')}`;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  c = await startTestCluster({ limits: { maxAsymmetricKeys: 12 } });
}, 60_000);

afterAll(async () => {
  await c?.stopAll();
});

describe('users, activation and roles', () => {
  it('the initial admin must change its password before anything else', async () => {
    admin = await c.connect(0);
    const r = await admin.callUnchecked<{ mustChangePassword: boolean; role: string }>('login', { user: 'admin', password: 'initial-pw-1' });
    expect(r).toMatchObject({ mustChangePassword: true, role: 'admin' });
    expect(await reason(admin.callUnchecked('user.list'))).toBe('ACCESS_DENIED:PASSWORD_CHANGE_REQUIRED');
    expect(await reason(admin.callUnchecked('user.changePassword', { newPassword: 'short' }))).toBe('INVALID_ARGUMENT:');
    await admin.callUnchecked('user.changePassword', { newPassword: PW.admin });
    for (const [user, role] of [['alice', 'crypto-user'], ['bob', 'crypto-user'], ['mallory', 'crypto-user'], ['admin2', 'admin']] as const) {
      await admin.callUnchecked('user.create', { user, role, password: PW[user] });
    }
    expect(await reason(admin.callUnchecked('user.create', { user: 'x'.repeat(32), role: 'crypto-user', password: 'long-enough' }))).toBe('INVALID_ARGUMENT:');
    expect(await reason(admin.callUnchecked('user.create', { user: 'alice', role: 'crypto-user', password: 'long-enough' }))).toBe('INVALID_ARGUMENT:');
  });

  it('users replicate to every node (server-side sync) and log in there', async () => {
    alice = await eventually(async () => c.login(2, 'alice', PW.alice).catch(() => undefined));
    bob = await eventually(async () => c.login(1, 'bob', PW.bob).catch(() => undefined));
    expect(alice).toBeDefined();
  });

  it('locks a user after 5 wrong passwords, then refuses even the right one', async () => {
    const conn = await c.connect(0);
    const got: string[] = [];
    for (let i = 0; i < 5; i++) got.push(await reason(conn.callUnchecked('login', { user: 'mallory', password: `wrong-pass-${i}` })));
    expect(got.slice(0, 4)).toEqual(Array(4).fill('ACCESS_DENIED:LOGIN_FAILED'));
    expect(got[4]).toBe('ACCESS_DENIED:USER_LOCKED');
    expect(await reason(conn.callUnchecked('login', { user: 'mallory', password: PW.mallory }))).toBe('ACCESS_DENIED:USER_LOCKED');
    // The lock replicates: another node refuses too.
    await eventually(async () => (await reason((await c.connect(1)).callUnchecked('login', { user: 'mallory', password: PW.mallory }))) === 'ACCESS_DENIED:USER_LOCKED');
    await admin.callUnchecked('user.unlock', { user: 'mallory' });
    await conn.callUnchecked('login', { user: 'mallory', password: PW.mallory });
  });

  it('admins cannot use or manage keys; crypto users cannot manage users', async () => {
    expect(await reason(admin.callUnchecked('key.generate', { type: 'aes', bits: 256, template: { label: 'nope' } }))).toBe('ACCESS_DENIED:CRYPTO_USER_ONLY');
    expect(await reason(alice.callUnchecked('user.create', { user: 'eve', role: 'admin', password: 'eve-pass-1' }))).toBe('ACCESS_DENIED:ADMIN_ONLY');
    expect(await reason((await c.connect(0)).callUnchecked('random', { length: 8 }))).toBe('ACCESS_DENIED:NOT_LOGGED_IN');
  });
});

describe('keys, attributes and mechanisms', () => {
  let aes: Key;

  it('AES-GCM with a node-generated IV; tampered ciphertext fails', async () => {
    aes = (await alice.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 256, template: { label: 'app-kek', id: '0102' } })).key;
    expect(aes.attrs).toMatchObject({ token: true, extractable: false, encrypt: true, decrypt: true, trusted: false, local: true });
    const pt = Buffer.from('hello hsm');
    const aad = Buffer.from('context');
    const enc = await alice.callUnchecked<{ iv: Buffer; ciphertext: Buffer; tag: Buffer }>('aes.gcmEncrypt', { handle: aes.handle, plaintext: pt, aad });
    expect(enc.iv.length).toBe(12);
    const enc2 = await alice.callUnchecked<{ iv: Buffer }>('aes.gcmEncrypt', { handle: aes.handle, plaintext: pt, aad });
    expect(Buffer.compare(enc.iv, enc2.iv)).not.toBe(0);
    const dec = await alice.callUnchecked<{ plaintext: Buffer }>('aes.gcmDecrypt', { handle: aes.handle, ...enc, aad });
    expect(Buffer.from(dec.plaintext).toString()).toBe('hello hsm');
    const bad = Buffer.from(enc.ciphertext);
    bad[0]! ^= 1;
    expect(await reason(alice.callUnchecked('aes.gcmDecrypt', { handle: aes.handle, ...enc, ciphertext: bad, aad }))).toBe('AUTHENTICATION_FAILED:');
  });

  it('a crypto user cannot use another user\'s unshared key; sharing grants use, not management', async () => {
    const bobSees = await eventually(async () => (await bob.callUnchecked<Key[]>('key.find', { label: 'app-kek' })).length === 0 && (await c.login(1, 'alice', PW.alice).then((x) => x.callUnchecked<Key[]>('key.find', { label: 'app-kek' }))).length === 1);
    expect(bobSees).toBe(true);
    expect(await reason(bob.callUnchecked('aes.gcmEncrypt', { handle: aes.handle, plaintext: Buffer.from('x') }))).toBe('KEY_UNAVAILABLE:');
    await alice.callUnchecked('key.share', { handle: aes.handle, user: 'bob' });
    const enc = await eventually(async () => bob.callUnchecked<{ iv: Buffer; ciphertext: Buffer; tag: Buffer }>('aes.gcmEncrypt', { handle: aes.handle, plaintext: Buffer.from('shared') }).catch(() => undefined));
    const dec = await alice.callUnchecked<{ plaintext: Buffer }>('aes.gcmDecrypt', { handle: aes.handle, ...enc });
    expect(Buffer.from(dec.plaintext).toString()).toBe('shared');
    expect(await reason(bob.callUnchecked('key.delete', { handle: aes.handle }))).toBe('ACCESS_DENIED:NOT_OWNER');
    expect(await reason(bob.callUnchecked('key.setAttributes', { handle: aes.handle, attributes: { label: 'mine' } }))).toBe('ACCESS_DENIED:NOT_OWNER');
  });

  it('exporting a non-extractable key fails; an extractable one exports; attributes gate functions', async () => {
    expect(await reason(alice.callUnchecked('key.export', { handle: aes.handle }))).toBe('ACCESS_DENIED:KEY_UNEXTRACTABLE');
    const ext = (await alice.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 128, template: { label: 'ext', extractable: true, encrypt: false } })).key;
    const exp = await alice.callUnchecked<{ material: Buffer }>('key.export', { handle: ext.handle });
    expect(exp.material.length).toBe(16);
    expect(await reason(alice.callUnchecked('aes.gcmEncrypt', { handle: ext.handle, plaintext: Buffer.from('x') }))).toBe('ACCESS_DENIED:KEY_FUNCTION_NOT_PERMITTED');
    await alice.callUnchecked('key.setAttributes', { handle: ext.handle, attributes: { encrypt: true, label: 'ext2' } });
    await alice.callUnchecked('aes.gcmEncrypt', { handle: ext.handle, plaintext: Buffer.from('x') });
    expect(await reason(alice.callUnchecked('key.setAttributes', { handle: ext.handle, attributes: { trusted: true } }))).toBe('ACCESS_DENIED:ADMIN_ONLY_ATTRIBUTE');
    expect(await reason(alice.callUnchecked('key.setAttributes', { handle: ext.handle, attributes: { neverExtractable: true } }))).toBe('INVALID_ARGUMENT:');
    const found = await alice.callUnchecked<Key[]>('key.find', { label: 'ext2', attributes: { extractable: true } });
    expect(found.map((k) => k.handle)).toEqual([ext.handle]);
    await alice.callUnchecked('key.delete', { handle: ext.handle });
    expect(await reason(alice.callUnchecked('key.getAttributes', { handle: ext.handle }))).toBe('KEY_UNAVAILABLE:');
  });

  it('AES key wrap RFC 3394 / 5649, wrap-with-trusted, and unwrap into a usable key', async () => {
    const kek = (await alice.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 256, template: { label: 'kek', wrap: true, unwrap: true } })).key;
    const target = (await alice.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 256, template: { label: 'tgt', extractable: true, wrapWithTrusted: true } })).key;
    expect(await reason(alice.callUnchecked('key.wrap', { wrappingHandle: kek.handle, handle: target.handle, mechanism: 'aes-kw' }))).toBe('ACCESS_DENIED:KEY_NOT_WRAPPABLE');
    expect(await reason(alice.callUnchecked('key.export', { handle: target.handle }))).toBe('ACCESS_DENIED:KEY_UNEXTRACTABLE');
    expect(await reason(alice.callUnchecked('key.wrap', { wrappingHandle: kek.handle, handle: aes.handle, mechanism: 'aes-kw' }))).toBe('ACCESS_DENIED:KEY_UNEXTRACTABLE');
    // Only an admin can mark the KEK trusted (on any node; it replicates).
    await eventually(async () => admin.callUnchecked('key.setAttributes', { handle: kek.handle, attributes: { trusted: true } }).then(() => true, () => false));
    const kw = await eventually(async () => alice.callUnchecked<{ wrapped: Buffer }>('key.wrap', { wrappingHandle: kek.handle, handle: target.handle, mechanism: 'aes-kw' }).catch(() => undefined));
    expect(kw.wrapped.length).toBe(40);
    const kwp = await alice.callUnchecked<{ wrapped: Buffer }>('key.wrap', { wrappingHandle: kek.handle, handle: target.handle, mechanism: 'aes-kwp' });
    expect(kwp.wrapped.length).toBe(40);
    const un = (await alice.callUnchecked<{ key: Key }>('key.unwrap', { unwrappingHandle: kek.handle, wrapped: kw.wrapped, mechanism: 'aes-kw', keyType: 'aes', template: { label: 'unwrapped' } })).key;
    const enc = await alice.callUnchecked<{ iv: Buffer; ciphertext: Buffer; tag: Buffer }>('aes.gcmEncrypt', { handle: un.handle, plaintext: Buffer.from('via unwrap') });
    const dec = await alice.callUnchecked<{ plaintext: Buffer }>('aes.gcmDecrypt', { handle: target.handle, ...enc });
    expect(Buffer.from(dec.plaintext).toString()).toBe('via unwrap');
    const bad = Buffer.from(kw.wrapped);
    bad[5]! ^= 1;
    expect(await reason(alice.callUnchecked('key.unwrap', { unwrappingHandle: kek.handle, wrapped: bad, mechanism: 'aes-kw', keyType: 'aes', template: { label: 'x' } }))).toBe('AUTHENTICATION_FAILED:');
  });

  it('RSA-OAEP (SHA-1…512), RSA-PSS and PKCS#1 v1.5, verified outside the HSM', async () => {
    const pair = await alice.callUnchecked<{ privateKey: Key; publicKey: Key }>('key.generate', { type: 'rsa', bits: 2048, template: { label: 'rsa', sign: true } });
    const pub = createPublicKey({ key: (await alice.callUnchecked<{ material: Buffer }>('key.export', { handle: pair.publicKey.handle })).material, format: 'der', type: 'spki' });
    for (const hash of ['sha1', 'sha256', 'sha384', 'sha512'] as const) {
      const ct = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, Buffer.from(`oaep ${hash}`));
      const r = await alice.callUnchecked<{ plaintext: Buffer }>('rsa.decrypt', { handle: pair.privateKey.handle, hash, ciphertext: ct });
      expect(Buffer.from(r.plaintext).toString()).toBe(`oaep ${hash}`);
    }
    const data = Buffer.from('sign me');
    for (const mechanism of ['rsa-pss', 'rsa-pkcs1'] as const) {
      const { signature } = await alice.callUnchecked<{ signature: Buffer }>('sign', { handle: pair.privateKey.handle, mechanism, hash: 'sha256', data });
      const padding = mechanism === 'rsa-pss' ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING;
      expect(nodeVerify('sha256', data, { key: pub, padding, saltLength: 32 }, signature)).toBe(true);
      expect((await alice.callUnchecked<{ valid: boolean }>('verify', { handle: pair.publicKey.handle, mechanism, hash: 'sha256', data, signature })).valid).toBe(true);
      expect((await alice.callUnchecked<{ valid: boolean }>('verify', { handle: pair.publicKey.handle, mechanism, hash: 'sha256', data: Buffer.from('other'), signature })).valid).toBe(false);
    }
  });

  it('ECDSA P-256/P-384, HMAC, digests and random bytes', async () => {
    for (const curve of ['P-256', 'P-384'] as const) {
      const pair = await alice.callUnchecked<{ privateKey: Key; publicKey: Key }>('key.generate', { type: 'ec', curve, template: { label: `ec-${curve}` } });
      const pub = createPublicKey({ key: (await alice.callUnchecked<{ material: Buffer }>('key.export', { handle: pair.publicKey.handle })).material, format: 'der', type: 'spki' });
      const data = Buffer.from('ecdsa');
      const { signature } = await alice.callUnchecked<{ signature: Buffer }>('sign', { handle: pair.privateKey.handle, mechanism: 'ecdsa', hash: 'sha384', data });
      expect(nodeVerify('sha384', data, { key: pub, dsaEncoding: 'der' }, signature)).toBe(true);
    }
    const secret = Buffer.alloc(32, 7);
    const hk = (await alice.callUnchecked<{ key: Key }>('key.import', { format: 'raw-secret', material: secret, template: { label: 'hmac' } })).key;
    for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
      const data = Buffer.from(`mac ${hash}`);
      const { mac } = await alice.callUnchecked<{ mac: Buffer }>('hmac', { handle: hk.handle, hash, data });
      expect(Buffer.from(mac).equals(createHmac(hash, secret).update(data).digest())).toBe(true);
      expect((await alice.callUnchecked<{ valid: boolean }>('hmac.verify', { handle: hk.handle, hash, data, mac })).valid).toBe(true);
      const { digest } = await alice.callUnchecked<{ digest: Buffer }>('digest', { hash, data });
      expect(Buffer.from(digest).equals(createHash(hash).update(data).digest())).toBe(true);
    }
    const r = await alice.callUnchecked<{ bytes: Buffer }>('random', { length: 48 });
    expect(r.bytes.length).toBe(48);
  });

  it('RSA-OAEP wrap of an AES key and AES-GCM wrap, with external unwrap', async () => {
    const pair = await alice.callUnchecked<{ privateKey: Key; publicKey: Key }>('key.generate', { type: 'rsa', bits: 2048, template: { label: 'rsa-wrap', wrap: true, unwrap: true } });
    const gk = (await alice.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 256, template: { label: 'gcm-wrap', wrap: true, extractable: true } })).key;
    const victim = (await alice.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 192, template: { label: 'victim', extractable: true } })).key;
    const raw = (await alice.callUnchecked<{ material: Buffer }>('key.export', { handle: victim.handle })).material;
    const w = await alice.callUnchecked<{ wrapped: Buffer }>('key.wrap', { wrappingHandle: pair.publicKey.handle, handle: victim.handle, mechanism: 'rsa-oaep-sha256' });
    const un = (await alice.callUnchecked<{ key: Key }>('key.unwrap', { unwrappingHandle: pair.privateKey.handle, wrapped: w.wrapped, mechanism: 'rsa-oaep-sha256', keyType: 'aes', template: { label: 'rsa-unwrapped', extractable: true } })).key;
    expect(Buffer.from((await alice.callUnchecked<{ material: Buffer }>('key.export', { handle: un.handle })).material).equals(Buffer.from(raw))).toBe(true);
    const g = (await alice.callUnchecked<{ wrapped: Buffer }>('key.wrap', { wrappingHandle: gk.handle, handle: victim.handle, mechanism: 'aes-gcm' })).wrapped;
    const gkRaw = (await alice.callUnchecked<{ material: Buffer }>('key.export', { handle: gk.handle })).material;
    const d = createDecipheriv('aes-256-gcm', gkRaw, g.subarray(0, 12));
    d.setAuthTag(g.subarray(g.length - 16));
    expect(Buffer.concat([d.update(g.subarray(12, g.length - 16)), d.final()]).equals(Buffer.from(raw))).toBe(true);
  });

  it('session keys are not replicated and vanish with the connection', async () => {
    const conn = await c.login(0, 'alice', PW.alice);
    const sk = (await conn.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 128, template: { label: 'session', token: false } })).key;
    await conn.callUnchecked('aes.gcmEncrypt', { handle: sk.handle, plaintext: Buffer.from('x') });
    const other = await c.login(0, 'alice', PW.alice);
    expect(await reason(other.callUnchecked('aes.gcmEncrypt', { handle: sk.handle, plaintext: Buffer.from('x') }))).toBe('KEY_UNAVAILABLE:');
    conn.close();
  });

  it('enforces documented limits with clear errors', async () => {
    const msgs: string[] = [];
    for (let i = 0; i < 8; i++) {
      try {
        await alice.callUnchecked('key.generate', { type: 'ec', curve: 'P-256', template: { label: `lim-${i}` } });
      } catch (e) {
        msgs.push((e as Error).message);
        expect(StrongroomError.isInstance(e, 'LIMIT_EXCEEDED')).toBe(true);
        break;
      }
    }
    expect(msgs[0]).toMatch(/asymmetric key limit reached: at most 12/);
  });
});

describe('quorum (M of N admin approvals)', () => {
  it('a quorum-protected user operation fails without enough approvals and passes with them', async () => {
    const k1 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const k2 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const admin2 = await eventually(async () => c.login(0, 'admin2', PW.admin2).catch(() => undefined));
    await admin.callUnchecked('user.registerQuorumKey', { publicKeyPem: k1.publicKey.export({ type: 'spki', format: 'pem' }) as string });
    await admin2.callUnchecked('user.registerQuorumKey', { publicKeyPem: k2.publicKey.export({ type: 'spki', format: 'pem' }) as string });
    await admin.callUnchecked('quorum.setValue', { service: 'user', value: 2 });
    expect(await reason(admin.callUnchecked('user.create', { user: 'carol', role: 'crypto-user', password: 'carol-pass-1' }))).toBe('ACCESS_DENIED:QUORUM_REQUIRED');
    const { token } = await admin.callUnchecked<{ token: Buffer }>('quorum.tokenGenerate', { op: 'user.create', args: { user: 'carol', role: 'crypto-user', password: 'carol-pass-1' } });
    const sig1 = signQuorumToken(token, k1.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    const sig2 = signQuorumToken(token, k2.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    const forged = signQuorumToken(token, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    const args = { user: 'carol', role: 'crypto-user', password: 'carol-pass-1', quorumToken: token };
    expect(await reason(admin.callUnchecked('user.create', { ...args, approvals: [{ user: 'admin', signature: sig1 }] }))).toBe('ACCESS_DENIED:QUORUM_REQUIRED');
    expect(await reason(admin.callUnchecked('user.create', { ...args, approvals: [{ user: 'admin', signature: sig1 }, { user: 'admin', signature: sig1 }, { user: 'admin2', signature: forged }] }))).toBe('ACCESS_DENIED:QUORUM_REQUIRED');
    await admin.callUnchecked('user.create', { ...args, approvals: [{ user: 'admin', signature: sig1 }, { user: 'admin2', signature: sig2 }] });
    expect(await reason(admin.callUnchecked('user.create', { ...args, user: 'dave', approvals: [{ user: 'admin', signature: sig1 }, { user: 'admin2', signature: sig2 }] }))).toBe('ACCESS_DENIED:QUORUM_REQUIRED');
    expect((await admin.callUnchecked<Array<{ user: string }>>('user.list')).map((u) => u.user)).toContain('carol');
  });
});

describe('replication, durability, tamper, backups and audit', () => {
  it('converges: every node reports the same object digest', async () => {
    const digests = await eventually(async () => {
      // The whole-node view (digest, counts) is for admins and nodes; an unauthenticated caller gets liveness only.
      const s = await Promise.all([0, 1, 2].map(async (i) => (await c.login(i, 'admin', PW.admin)).callUnchecked<{ digest: string; keys: number; az: string }>('status')));
      return new Set(s.map((x) => x.digest)).size === 1 ? s : undefined;
    });
    expect(digests.map((d) => d.az)).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    expect(digests[0]!.keys).toBeGreaterThan(5);
  });

  it('a node SIGKILLed during a burst of key creations restarts with no acknowledged key missing', async () => {
    const conn = await c.login(1, 'alice', PW.alice);
    const acked: string[] = [];
    let failed = 0;
    let killed = false;
    let wave = 0;
    // Waves of concurrent creations until the connection dies; SIGKILL lands mid-burst.
    while (failed === 0 && wave < 200) {
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          conn.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 256, template: { label: `burst-${wave}-${i}` } }).then(
            (r) => {
              acked.push(r.key.handle);
              if (acked.length >= 40 && !killed) {
                killed = true;
                void c.nodes[1]!.kill('SIGKILL');
              }
            },
            () => failed++,
          ),
        ),
      );
      wave++;
    }
    expect(killed).toBe(true);
    expect(failed).toBeGreaterThan(0);
    expect(acked.length).toBeGreaterThanOrEqual(40);
    await c.start(1);
    const after = await c.login(1, 'alice', PW.alice);
    const have = new Set((await after.callUnchecked<Key[]>('key.find', {})).map((k) => k.handle));
    expect(acked.filter((h) => !have.has(h))).toEqual([]);
  });

  it('backup → restore into a new node → it serves the cluster\'s keys, including newer ones', async () => {
    const { path } = await admin.callUnchecked<{ path: string }>('backup.create');
    const later = (await alice.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 256, template: { label: 'after-backup' } })).key;
    const dataDir = join(c.tmp, 'node-4');
    addNodeFromBackup({ clusterDir: c.info.dir, dataDir, backupFile: path, donorDataDir: c.info.nodes[0]!.dataDir, az: 'us-east-1d' });
    const port = await freePort();
    const n4 = await startHsmNode({ dataDir, port, peers: c.urls, syncIntervalMs: 300 });
    c.nodes.push(n4);
    expect(n4.az).toBe('us-east-1d');
    const conn = await eventually(async () => {
      const x = await (await import('../src/index')).connectHsmNode({ url: n4.url, trustAnchor: c.info.trustAnchor, clientCert: c.info.clientCert });
      await x.callUnchecked('login', { user: 'alice', password: PW.alice });
      return x;
    });
    const enc = await eventually(async () => conn.callUnchecked<{ iv: Buffer; ciphertext: Buffer; tag: Buffer }>('aes.gcmEncrypt', { handle: later.handle, plaintext: Buffer.from('n4') }).catch(() => undefined));
    const dec = await alice.callUnchecked<{ plaintext: Buffer }>('aes.gcmDecrypt', { handle: later.handle, ...enc });
    expect(Buffer.from(dec.plaintext).toString()).toBe('n4');
    conn.close();
    await n4.stop();
  });

  it('an edited state file puts the node in the TAMPERED state; restore from backup recovers it', async () => {
    const { path } = await admin.callUnchecked<{ path: string }>('backup.create');
    await c.nodes[2]!.stop();
    const stateFile = join(c.info.nodes[2]!.dataDir, 'state.sealed');
    const bytes = readFileSync(stateFile);
    bytes[bytes.length - 40]! ^= 0x01;
    writeFileSync(stateFile, bytes);
    const n = await c.start(2);
    expect(n.state).toBe('TAMPERED');
    const conn = await c.connect(2);
    expect((await conn.callUnchecked<{ state: string }>('status')).state).toBe('TAMPERED');
    expect(await reason(conn.callUnchecked('login', { user: 'alice', password: PW.alice }))).toBe('PROVIDER_ERROR:TAMPERED');
    await n.stop();
    addNodeFromBackup({ clusterDir: c.info.dir, dataDir: c.info.nodes[2]!.dataDir, backupFile: path, donorDataDir: c.info.nodes[0]!.dataDir });
    const back = await c.start(2);
    expect(back.state).toBe('ACTIVE');
    const a2 = await c.login(2, 'alice', PW.alice);
    expect((await a2.callUnchecked<Key[]>('key.find', { label: 'app-kek' })).length).toBe(1);
    // An edit while the node runs is caught by the integrity watch.
    const live = readFileSync(stateFile);
    live[live.length - 20]! ^= 0x01;
    writeFileSync(stateFile, live);
    await eventually(async () => (await (await c.connect(2)).callUnchecked<{ state: string }>('status')).state === 'TAMPERED');
    expect(await reason(a2.callUnchecked('random', { length: 4 }))).toBe('PROVIDER_ERROR:TAMPERED');
    await c.nodes[2]!.stop();
    addNodeFromBackup({ clusterDir: c.info.dir, dataDir: c.info.nodes[2]!.dataDir, backupFile: path, donorDataDir: c.info.nodes[0]!.dataDir });
    expect((await c.start(2)).state).toBe('ACTIVE');
  });

  it('the audit log verifies, and edits, deletions and reordering are reported', async () => {
    const dataDir = c.info.nodes[0]!.dataDir;
    const log = join(dataDir, 'audit.log');
    const verifyAuditLog = (file: string) => verifyNodeAuditLog(dataDir, { file });
    await new Promise((r) => setTimeout(r, 200)); // let the group commit write buffered records
    const copy = join(c.tmp, 'audit-copy.log');
    copyFileSync(log, copy);
    const ok = await verifyAuditLog(copy);
    expect(ok.ok).toBe(true);
    expect(ok.records).toBeGreaterThan(20);
    const text = readFileSync(copy, 'utf8');
    expect(text).not.toContain(PW.alice);
    const lines = text.trimEnd().split('\n');
    const edited = [...lines];
    edited[5] = edited[5]!.replace(/"time":"[^"]+"/, '"time":"2000-01-01T00:00:00.000Z"');
    expect(edited[5]).not.toBe(lines[5]);
    writeFileSync(copy, `${edited.join('\n')}\n`);
    expect((await verifyAuditLog(copy)).problems.map((p) => p.problem)).toContain('edited');
    const deleted = lines.filter((_, i) => i !== 7);
    writeFileSync(copy, `${deleted.join('\n')}\n`);
    expect((await verifyAuditLog(copy)).problems.map((p) => p.problem)).toContain('gap');
    const swapped = [...lines];
    [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
    writeFileSync(copy, `${swapped.join('\n')}\n`);
    expect((await verifyAuditLog(copy)).problems.map((p) => p.problem)).toContain('reordered');
    // The CLI reports the same and exits non-zero.
    const run = promisify(execFile);
    const good = await run(process.execPath, [defaultCliPath(), 'audit', 'verify', '--data-dir', dataDir, log]);
    expect(JSON.parse(good.stdout).ok).toBe(true);
    const bad = await run(process.execPath, [defaultCliPath(), 'audit', 'verify', '--data-dir', dataDir, copy]).then(() => 0, (e: { code: number }) => e.code);
    expect(bad).toBe(2);
  });
});
