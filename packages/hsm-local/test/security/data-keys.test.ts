/**
 * `aes.gcmGenerateDataKey` (a data key from the node's RNG returned with its AES-GCM encryption, the
 * shape of KMS GenerateDataKey: https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKey.html)
 * against a real node over mutual TLS: it must grant nothing `random` + `aes.gcmEncrypt` do not —
 * the same login, role, ownership, sharing and CKA_ENCRYPT checks, bounded lengths — and it is
 * audited like every other operation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HsmNodeConnection } from '../../src/index';
import { eventually, startTestCluster, type TestCluster } from '../helpers';
import { reason } from './setup';

type Key = { handle: string };
type DataKey = { plaintext: Uint8Array; iv: Uint8Array; ciphertext: Uint8Array; tag: Uint8Array };

let c: TestCluster;
let admin: HsmNodeConnection;
let alice: HsmNodeConnection;
let bob: HsmNodeConnection;
let kek: Key;
const PW = { admin: 'admin-pass-1', alice: 'alice-pass-1', bob: 'bob-pass-1' };

beforeAll(async () => {
  c = await startTestCluster();
  admin = await c.connect(0);
  await admin.call('login', { user: 'admin', password: 'initial-pw-1' });
  await admin.call('user.changePassword', { newPassword: PW.admin });
  for (const user of ['alice', 'bob'] as const) await admin.call('user.create', { user, role: 'crypto-user', password: PW[user] });
  alice = await c.login(0, 'alice', PW.alice);
  bob = await c.login(0, 'bob', PW.bob);
  kek = (await alice.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 256, template: { label: 'dk-kek' } })).key;
}, 60_000);

afterAll(async () => {
  await c?.stopAll();
});

describe('aes.gcmGenerateDataKey', () => {
  it('returns fresh random bytes and their AES-GCM encryption under the key, bound to the AAD', async () => {
    const aad = Buffer.from('tenant=a');
    const one = await alice.callUnchecked<DataKey>('aes.gcmGenerateDataKey', { handle: kek.handle, length: 32, aad });
    const two = await alice.callUnchecked<DataKey>('aes.gcmGenerateDataKey', { handle: kek.handle, length: 32, aad });
    expect([one.plaintext.length, one.iv.length, one.ciphertext.length, one.tag.length]).toEqual([32, 12, 32, 16]);
    expect(Buffer.compare(one.plaintext, two.plaintext)).not.toBe(0);
    expect(Buffer.compare(one.iv, two.iv)).not.toBe(0);
    const back = await alice.callUnchecked<{ plaintext: Uint8Array }>('aes.gcmDecrypt', { handle: kek.handle, iv: one.iv, ciphertext: one.ciphertext, tag: one.tag, aad });
    expect(Buffer.compare(back.plaintext, one.plaintext)).toBe(0);
    expect(await reason(alice.callUnchecked('aes.gcmDecrypt', { handle: kek.handle, iv: one.iv, ciphertext: one.ciphertext, tag: one.tag, aad: Buffer.from('tenant=b') }))).toBe('AUTHENTICATION_FAILED:');
  });

  it('needs a logged-in crypto user: no session and an admin are refused', async () => {
    const anonymous = await c.connect(0);
    expect(await reason(anonymous.callUnchecked('aes.gcmGenerateDataKey', { handle: kek.handle, length: 32 }))).toBe('ACCESS_DENIED:NOT_LOGGED_IN');
    expect(await reason(admin.callUnchecked('aes.gcmGenerateDataKey', { handle: kek.handle, length: 32 }))).toBe('ACCESS_DENIED:CRYPTO_USER_ONLY');
  });

  it("another user's unshared key is unavailable; sharing grants use, as for aes.gcmEncrypt", async () => {
    expect(await reason(bob.callUnchecked('aes.gcmGenerateDataKey', { handle: kek.handle, length: 32 }))).toBe('KEY_UNAVAILABLE:');
    const shared = (await alice.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 256, template: { label: 'dk-shared', shareWith: ['bob'] } })).key;
    const dk = await bob.callUnchecked<DataKey>('aes.gcmGenerateDataKey', { handle: shared.handle, length: 16 });
    expect(dk.plaintext.length).toBe(16);
  });

  it('refuses a key without CKA_ENCRYPT and a key that is not AES', async () => {
    const noEncrypt = (await alice.callUnchecked<{ key: Key }>('key.generate', { type: 'aes', bits: 256, template: { label: 'dk-no-encrypt', encrypt: false } })).key;
    expect(await reason(alice.callUnchecked('aes.gcmGenerateDataKey', { handle: noEncrypt.handle, length: 32 }))).toBe('ACCESS_DENIED:KEY_FUNCTION_NOT_PERMITTED');
    const hmacKey = (await alice.callUnchecked<{ key: Key }>('key.generate', { type: 'generic-secret', bits: 256, template: { label: 'dk-hmac', encrypt: true } })).key;
    expect(await reason(alice.callUnchecked('aes.gcmGenerateDataKey', { handle: hmacKey.handle, length: 32 }))).toBe('INVALID_ARGUMENT:');
  });

  it('refuses lengths outside 1…1024 bytes and malformed arguments with INVALID_ARGUMENT', async () => {
    for (const length of [0, -1, 1025, 2 ** 31, 1.5, '32', null]) {
      expect(await reason(alice.callUnchecked('aes.gcmGenerateDataKey', { handle: kek.handle, length }))).toBe('INVALID_ARGUMENT:');
    }
    expect(await reason(alice.callUnchecked('aes.gcmGenerateDataKey', { length: 32 }))).toBe('INVALID_ARGUMENT:');
    expect(await reason(alice.callUnchecked('aes.gcmGenerateDataKey', { handle: kek.handle, length: 32, aad: 'not bytes' }))).toBe('INVALID_ARGUMENT:');
  });

  it('is audited with the caller, the key handle and the outcome', async () => {
    await alice.callUnchecked('aes.gcmGenerateDataKey', { handle: kek.handle, length: 32 });
    await reason(bob.callUnchecked('aes.gcmGenerateDataKey', { handle: kek.handle, length: 32 }));
    const log = join(c.info.nodes[0]!.dataDir, 'audit.log');
    const records = await eventually(async () => {
      const r = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { op: string; user: string; response: string; detail: { handle?: string } | null });
      const mine = r.filter((x) => x.op === 'aes.gcmGenerateDataKey' && x.detail?.handle === kek.handle);
      return mine.some((x) => x.user === 'bob') ? mine : undefined;
    });
    expect(records.some((x) => x.user === 'alice' && x.response === 'SUCCESS')).toBe(true);
    expect(records.some((x) => x.user === 'bob' && x.response === 'ERROR:KEY_UNAVAILABLE')).toBe(true);
  });
});
