/**
 * openPkcs11 against a real SoftHSMv2 token. Results are checked against node:crypto with keys
 * planted at known values, not against the client itself.
 */
import { createCipheriv, createDecipheriv, createHmac, createPublicKey, createVerify, randomBytes, verify as nodeVerify, constants } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StrongroomError } from '@strongroom/core';
import { openPkcs11, type Pkcs11Backend } from '../src/index';
import { rawSession } from './raw-pkcs11';
import { requireSoftHsm, softHsmFixture, type SoftHsmFixture } from './softhsm';

const availability = requireSoftHsm('provider-hsm PKCS#11 client');

describe.skipIf(!availability.ok)('openPkcs11 over SoftHSMv2', () => {
  let fx: SoftHsmFixture;
  let token: { tokenLabel: string; pin: string };
  let other: { tokenLabel: string; pin: string };
  let hsm: Pkcs11Backend;

  beforeAll(async () => {
    fx = softHsmFixture(availability as Extract<typeof availability, { ok: true }>);
    token = fx.initToken('client-main');
    other = fx.initToken('client-other');
    hsm = await openPkcs11({ library: fx.library, tokenLabel: token.tokenLabel, pin: token.pin, maxSessions: 4 });
  });
  afterAll(async () => {
    await hsm?.close();
    fx?.cleanup();
  });

  it('finds the token by label and reports SoftHSM capabilities', () => {
    expect(hsm.kind).toBe('pkcs11');
    expect(hsm.tokenInfo.label).toBe('client-main');
    expect(hsm.id).toBe(hsm.tokenInfo.serialNumber);
    expect(hsm.id).toMatch(/^[0-9a-f]{16}$/);
    expect(hsm.capabilities).toEqual({ gcmIv: 'caller', oaepHashes: ['sha1'], ecdsaHashesInside: false, keyAvailabilityCheck: false });
  });

  it('rejects unknown tokens, wrong PINs and a missing pkcs11js with typed errors', async () => {
    await expect(openPkcs11({ library: fx.library, tokenLabel: 'nope', pin: 'x' })).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' });
    const wrong = await openPkcs11({ library: fx.library, tokenLabel: other.tokenLabel, pin: 'wrong-pin' }).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(wrong, 'ACCESS_DENIED')).toBe(true);
    expect((wrong as Error).message).toContain('CKR_PIN_INCORRECT');
    expect((wrong as Error).cause).toBeDefined();
    await expect(
      openPkcs11({ library: fx.library, tokenLabel: token.tokenLabel, pin: token.pin, pkcs11jsModule: 'pkcs11js-not-installed' }),
    ).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringContaining('npm install pkcs11js') });
    await expect(openPkcs11({ library: '/nonexistent/libpkcs11.so', tokenLabel: 'x', pin: 'x' })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await expect(openPkcs11({ library: fx.library, pin: 'x' } as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('a second client on the same token shares the login, and must know the PIN', async () => {
    const second = await openPkcs11({ library: fx.library, tokenLabel: token.tokenLabel, pin: token.pin });
    await expect(openPkcs11({ library: fx.library, tokenLabel: token.tokenLabel, pin: 'not-the-pin' })).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    expect(second.id).toBe(hsm.id);
    await second.close();
    // The first client is still logged in after the second closed.
    const key = await hsm.generateAesKey({ label: 'after-second-close', bits: 256 });
    expect(key.class).toBe('secret');
  });

  it('AES-GCM inside the HSM matches node:crypto on a key with a known value', async () => {
    const raw = rawSession(fx.library, token.tokenLabel);
    const keyBytes = randomBytes(32);
    raw.importSecret('known-aes', keyBytes, 'aes');
    raw.close();
    const key = await hsm.findKey({ label: 'known-aes', class: 'secret' });
    expect(key).toMatchObject({ label: 'known-aes', type: 'aes', bits: 256, class: 'secret' });
    const pt = randomBytes(32);
    const aad = Buffer.from('context bytes');
    const { iv, ciphertext, tag } = await hsm.aesGcmEncrypt(key!, pt, aad);
    expect(iv).toHaveLength(12);
    expect(tag).toHaveLength(16);
    const d = createDecipheriv('aes-256-gcm', keyBytes, iv).setAAD(aad);
    d.setAuthTag(tag);
    expect(Buffer.concat([d.update(ciphertext), d.final()])).toEqual(pt);

    // and the other direction: node encrypts, the HSM decrypts
    const iv2 = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', keyBytes, iv2).setAAD(aad);
    const ct2 = Buffer.concat([c.update(pt), c.final()]);
    expect(Buffer.from(await hsm.aesGcmDecrypt(key!, { iv: iv2, ciphertext: ct2, tag: c.getAuthTag(), aad }))).toEqual(pt);
  });

  it('fresh IVs per call, and tampering maps to AUTHENTICATION_FAILED', async () => {
    const key = await hsm.generateAesKey({ label: 'gcm-tamper', bits: 256, token: false });
    const pt = randomBytes(32);
    const aad = Buffer.from('aad');
    const a = await hsm.aesGcmEncrypt(key, pt, aad);
    const b = await hsm.aesGcmEncrypt(key, pt, aad);
    expect(Buffer.from(a.iv).equals(Buffer.from(b.iv))).toBe(false);
    expect(Buffer.from(await hsm.aesGcmDecrypt(key, { ...a, aad }))).toEqual(pt);

    const badTag = Uint8Array.from(a.tag);
    badTag[0]! ^= 1;
    const err = await hsm.aesGcmDecrypt(key, { ...a, tag: badTag, aad }).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err, 'AUTHENTICATION_FAILED')).toBe(true);
    expect((err as Error).message).toContain('CKR_');
    await expect(hsm.aesGcmDecrypt(key, { ...a, aad: Buffer.from('other') })).rejects.toMatchObject({ code: 'AUTHENTICATION_FAILED' });
    const badCt = Uint8Array.from(a.ciphertext);
    badCt[5]! ^= 0x80;
    await expect(hsm.aesGcmDecrypt(key, { ...a, ciphertext: badCt, aad })).rejects.toMatchObject({ code: 'AUTHENTICATION_FAILED' });
    await expect(hsm.aesGcmDecrypt(key, { ...a, iv: new Uint8Array(8), aad })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // the session pool survived the failures
    expect(Buffer.from(await hsm.aesGcmDecrypt(key, { ...a, aad }))).toEqual(pt);
  });

  it('key lifecycle: labels are unique, delete removes, unknown handles are KEY_UNAVAILABLE', async () => {
    const key = await hsm.generateAesKey({ label: 'lifecycle', bits: 128 });
    expect(key.bits).toBe(128);
    await expect(hsm.generateAesKey({ label: 'lifecycle', bits: 256 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await hsm.findKey({ label: 'lifecycle' })).toEqual(key);
    expect(await hsm.findKey({ label: 'lifecycle', class: 'private' })).toBeUndefined();
    await hsm.deleteKey(key);
    expect(await hsm.findKey({ label: 'lifecycle' })).toBeUndefined();
    await expect(hsm.aesGcmEncrypt(key, new Uint8Array(16), new Uint8Array(0))).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' });
  });

  it('HMAC inside the HSM matches node:crypto', async () => {
    const raw = rawSession(fx.library, token.tokenLabel);
    // SoftHSM refuses HMAC keys shorter than the hash output (CKR_KEY_SIZE_RANGE), so 64 bytes.
    const keyBytes = randomBytes(64);
    raw.importSecret('known-hmac', keyBytes, 'generic');
    raw.close();
    const key = (await hsm.findKey({ label: 'known-hmac' }))!;
    expect(key.type).toBe('generic-secret');
    const data = randomBytes(100);
    for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
      expect(Buffer.from(await hsm.hmac(key, hash, data))).toEqual(createHmac(hash, keyBytes).update(data).digest());
    }
    const generated = await hsm.generateGenericSecret({ label: 'gen-hmac', bits: 256 });
    expect(await hsm.hmac(generated, 'sha256', data)).toHaveLength(32);
  });

  it('ECDSA P-256/P-384 signatures are DER and verify with node:crypto and the exported key', async () => {
    for (const [curve, hash] of [
      ['P-256', 'sha256'],
      ['P-384', 'sha384'],
    ] as const) {
      const { privateKey, publicKey } = await hsm.generateKeyPair({ type: 'ec', curve, label: `ec-${curve}` });
      expect(privateKey).toMatchObject({ type: 'ec', class: 'private', bits: curve === 'P-256' ? 256 : 384 });
      const data = randomBytes(200);
      const sig = await hsm.sign(privateKey, { type: 'ecdsa', hash }, data);
      expect(sig[0]).toBe(0x30);
      const spki = createPublicKey({ key: Buffer.from(await hsm.exportPublicKey!(privateKey)), format: 'der', type: 'spki' });
      expect(Buffer.from(await hsm.exportPublicKey!(publicKey))).toEqual(spki.export({ type: 'spki', format: 'der' }));
      expect(nodeVerify(hash, data, spki, sig)).toBe(true);
      expect(await hsm.verify(publicKey, { type: 'ecdsa', hash }, data, sig)).toBe(true);
      const other = Buffer.from(data);
      other[0]! ^= 1;
      expect(await hsm.verify(publicKey, { type: 'ecdsa', hash }, other, sig)).toBe(false);
      expect(await hsm.verify(publicKey, { type: 'ecdsa', hash }, data, sig.subarray(1))).toBe(false);
    }
  });

  it('RSA PKCS#1 v1.5 and PSS signatures verify with node:crypto', async () => {
    const { privateKey, publicKey } = await hsm.generateKeyPair({ type: 'rsa', bits: 2048, label: 'rsa-sign', token: false });
    expect(privateKey.bits).toBe(2048);
    const spki = createPublicKey({ key: Buffer.from(await hsm.exportPublicKey!(publicKey)), format: 'der', type: 'spki' });
    const data = randomBytes(64);
    const pkcs1 = await hsm.sign(privateKey, { type: 'rsa-pkcs1', hash: 'sha256' }, data);
    expect(createVerify('sha256').update(data).verify(spki, Buffer.from(pkcs1))).toBe(true);
    const pss = await hsm.sign(privateKey, { type: 'rsa-pss', hash: 'sha384' }, data);
    expect(
      nodeVerify('sha384', data, { key: spki, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 }, Buffer.from(pss)),
    ).toBe(true);
    expect(await hsm.verify(publicKey, { type: 'rsa-pss', hash: 'sha384' }, data, pss)).toBe(true);
    expect(await hsm.verify(publicKey, { type: 'rsa-pkcs1', hash: 'sha256' }, data, pss)).toBe(false);
  });

  it('logs in again when the module dropped the login', async () => {
    const key = await hsm.generateAesKey({ label: 'relogin', bits: 256 });
    const logout = () => {
      const raw = rawSession(fx.library, token.tokenLabel);
      raw.p11.C_Logout(raw.session); // logs the whole application out of the token
      raw.close();
    };
    logout();
    // SoftHSM drops the handles of private objects on logout: the call renews the login, but the
    // old handle stays invalid, so it fails with KEY_UNAVAILABLE and a new lookup finds the key.
    await expect(hsm.aesGcmEncrypt(key, Buffer.alloc(32, 7), Buffer.alloc(0))).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' });
    const again = (await hsm.findKey({ label: 'relogin' }))!;
    const sealed = await hsm.aesGcmEncrypt(again, Buffer.alloc(32, 7), Buffer.alloc(0));
    expect(Buffer.from(await hsm.aesGcmDecrypt(again, { ...sealed, aad: Buffer.alloc(0) }))).toEqual(Buffer.alloc(32, 7));
    // A lookup made while logged out renews the login instead of reporting a missing key.
    logout();
    expect(await hsm.findKey({ label: 'relogin' })).toMatchObject({ label: 'relogin', class: 'secret' });
  });

  it('runs concurrent calls over a bounded session pool', async () => {
    const key = await hsm.generateAesKey({ label: 'concurrent', bits: 256, token: false });
    const inputs = Array.from({ length: 40 }, () => randomBytes(32));
    const results = await Promise.all(inputs.map((pt) => hsm.aesGcmEncrypt(key, pt, Buffer.from('c'))));
    expect(hsm.openSessions).toBeLessThanOrEqual(4);
    expect(hsm.openSessions).toBeGreaterThan(1);
    const back = await Promise.all(results.map((r) => hsm.aesGcmDecrypt(key, { ...r, aad: Buffer.from('c') })));
    back.forEach((pt, i) => expect(Buffer.from(pt)).toEqual(inputs[i]));
    expect(new Set(results.map((r) => Buffer.from(r.iv).toString('hex'))).size).toBe(40);
  });

  it('honours an already-aborted signal and random-length limits', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(hsm.generateRandom(16, { abortSignal: controller.signal })).rejects.toMatchObject({ name: 'AbortError', code: 'ABORTED' });
    expect(await hsm.generateRandom(48)).toHaveLength(48);
    await expect(hsm.generateRandom(0)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(hsm.generateRandom(1 << 20)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
