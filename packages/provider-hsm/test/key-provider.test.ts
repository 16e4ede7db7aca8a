/**
 * HsmKeyProvider over SoftHSMv2: EDKs are checked against node:crypto with a wrapping key planted
 * at a known value (wire format = AES-GCM(key, iv, AAD = serialized context) as documented in src/key-provider.ts),
 * and end to end through core's createClient.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, getSuite, RawAesKeyProvider, serializeEncryptionContext, StrongroomError } from '@strongroom/core';
import { HsmKeyProvider, openPkcs11, parseProviderInfo, type Pkcs11Backend } from '../src/index';
import { rawSession } from './raw-pkcs11';
import { requireSoftHsm, softHsmFixture, type SoftHsmFixture } from './softhsm';

const availability = requireSoftHsm('provider-hsm HsmKeyProvider');
const suite = getSuite(0x0478);
const context = { tenant: 'acme', purpose: 'test' };

describe.skipIf(!availability.ok)('HsmKeyProvider over SoftHSMv2 (PKCS#11)', () => {
  let fx: SoftHsmFixture;
  let hsm: Pkcs11Backend;
  const kekBytes = randomBytes(32);

  beforeAll(async () => {
    fx = softHsmFixture(availability as Extract<typeof availability, { ok: true }>);
    const token = fx.initToken('provider');
    hsm = await openPkcs11({ library: fx.library, tokenLabel: token.tokenLabel, pin: token.pin });
    const raw = rawSession(fx.library, token.tokenLabel);
    raw.importSecret('known-kek', kekBytes, 'aes');
    raw.close();
    await hsm.generateAesKey({ label: 'app-kek', bits: 256 });
    await hsm.generateAesKey({ label: 'other-kek', bits: 256 });
  });
  afterAll(async () => {
    await hsm?.close();
    fx?.cleanup();
  });

  it('writes the documented EDK: providerId, providerInfo, AES-GCM under the HSM key with AAD = context', async () => {
    const provider = HsmKeyProvider({ backend: hsm, keyLabel: 'known-kek' });
    const { plaintextKey, encryptedDataKey: edk } = await provider.generateDataKey({ suite, encryptionContext: context });
    expect(plaintextKey).toHaveLength(32);
    expect(edk.providerId).toBe('strongroom-hsm');
    const info = parseProviderInfo(edk.providerInfo);
    expect(info).toMatchObject({ backendId: hsm.id, keyLabel: 'known-kek' });
    expect(edk.ciphertext).toHaveLength(48);
    const d = createDecipheriv('aes-256-gcm', kekBytes, info.iv).setAAD(serializeEncryptionContext(context));
    d.setAuthTag(edk.ciphertext.subarray(32));
    expect(Buffer.concat([d.update(edk.ciphertext.subarray(0, 32)), d.final()])).toEqual(Buffer.from(plaintextKey));
    expect(Buffer.from(await provider.decryptDataKey({ suite, encryptionContext: context, encryptedDataKey: edk }) as Uint8Array)).toEqual(
      Buffer.from(plaintextKey),
    );
  });

  it('routes: foreign provider ids, other keys and other HSMs are not mine; corrupt info is MALFORMED', async () => {
    const provider = HsmKeyProvider({ backend: hsm, keyLabel: 'app-kek' });
    const { encryptedDataKey: edk } = await provider.generateDataKey({ suite, encryptionContext: context });
    const req = { suite, encryptionContext: context };
    expect(await provider.decryptDataKey({ ...req, encryptedDataKey: { ...edk, providerId: 'aws-kms' } })).toBeUndefined();
    expect(await HsmKeyProvider({ backend: hsm, keyLabel: 'other-kek' }).decryptDataKey({ ...req, encryptedDataKey: edk })).toBeUndefined();
    expect(await HsmKeyProvider({ backend: hsm, keyLabel: 'app-kek', backendId: 'elsewhere' }).decryptDataKey({ ...req, encryptedDataKey: edk })).toBeUndefined();
    expect(await HsmKeyProvider({ backend: hsm, keyLabel: 'app-kek', providerId: 'custom-hsm' }).decryptDataKey({ ...req, encryptedDataKey: edk })).toBeUndefined();
    await expect(provider.decryptDataKey({ ...req, encryptedDataKey: { ...edk, providerInfo: edk.providerInfo.subarray(1) } })).rejects.toMatchObject({ code: 'MALFORMED' });
    await expect(provider.decryptDataKey({ ...req, encryptedDataKey: { ...edk, ciphertext: edk.ciphertext.subarray(1) } })).rejects.toMatchObject({ code: 'MALFORMED' });
  });

  it('binds the encryption context and detects tampering', async () => {
    const provider = HsmKeyProvider({ backend: hsm, keyLabel: 'app-kek' });
    const { encryptedDataKey: edk } = await provider.generateDataKey({ suite, encryptionContext: context });
    await expect(provider.decryptDataKey({ suite, encryptionContext: { ...context, tenant: 'evil' }, encryptedDataKey: edk })).rejects.toMatchObject({
      code: 'AUTHENTICATION_FAILED',
    });
    await expect(provider.decryptDataKey({ suite, encryptionContext: {}, encryptedDataKey: edk })).rejects.toMatchObject({ code: 'AUTHENTICATION_FAILED' });
    const ct = Uint8Array.from(edk.ciphertext);
    ct[40]! ^= 1;
    await expect(provider.decryptDataKey({ suite, encryptionContext: context, encryptedDataKey: { ...edk, ciphertext: ct } })).rejects.toMatchObject({
      code: 'AUTHENTICATION_FAILED',
    });
  });

  it('encryptDataKey wraps a caller key for every suite length; bad lengths are INVALID_ARGUMENT', async () => {
    const provider = HsmKeyProvider({ backend: hsm, keyLabel: 'app-kek' });
    for (const id of [0x0014, 0x0046, 0x0078, 0x0578]) {
      const s = getSuite(id);
      const key = randomBytes(s.keyLength);
      const [edk] = [await provider.encryptDataKey({ suite: s, encryptionContext: {}, plaintextKey: key })].flat();
      expect(Buffer.from((await provider.decryptDataKey({ suite: s, encryptionContext: {}, encryptedDataKey: edk! }))!)).toEqual(key);
    }
    await expect(provider.encryptDataKey({ suite, encryptionContext: {}, plaintextKey: new Uint8Array(16) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('a missing key is KEY_UNAVAILABLE, and found once it is created', async () => {
    const provider = HsmKeyProvider({ backend: hsm, keyLabel: 'created-later' });
    await expect(provider.generateDataKey({ suite, encryptionContext: {} })).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' });
    await hsm.generateAesKey({ label: 'created-later', bits: 256 });
    await expect(provider.generateDataKey({ suite, encryptionContext: {} })).resolves.toBeDefined();
  });

  it('keyWrap aes-gcm: iv ‖ ct ‖ tag that node:crypto opens with the known key, and back', async () => {
    const provider = HsmKeyProvider({ backend: hsm, keyLabel: 'known-kek' });
    expect(provider.keyWrap.algorithm).toBe('aes-gcm');
    const cek = randomBytes(32);
    const aad = Buffer.from('AES/GCM'); // S3EC V2 binds the CEK algorithm as AAD
    const wrapped = await provider.keyWrap.wrap({ plaintext: cek, aad });
    expect(wrapped).toHaveLength(12 + 32 + 16);
    const d = createDecipheriv('aes-256-gcm', kekBytes, wrapped.subarray(0, 12)).setAAD(aad);
    d.setAuthTag(wrapped.subarray(44));
    expect(Buffer.concat([d.update(wrapped.subarray(12, 44)), d.final()])).toEqual(cek);

    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', kekBytes, iv).setAAD(aad);
    const foreign = Buffer.concat([iv, c.update(cek), c.final(), c.getAuthTag()]);
    expect(Buffer.from(await provider.keyWrap.unwrap({ wrapped: foreign, aad }))).toEqual(cek);
    await expect(provider.keyWrap.unwrap({ wrapped: foreign, aad: Buffer.from('other') })).rejects.toMatchObject({ code: 'AUTHENTICATION_FAILED' });
    await expect(provider.keyWrap.unwrap({ wrapped: foreign.subarray(0, 20) })).rejects.toMatchObject({ code: 'MALFORMED' });
  });

  it('end to end through createClient, alone and next to a raw AES break-glass key', async () => {
    const provider = HsmKeyProvider({ backend: hsm, keyLabel: 'app-kek' });
    const client = createClient({ keyProvider: provider });
    const plaintext = randomBytes(10_000);
    const { ciphertext } = await client.encrypt(plaintext, { encryptionContext: context });
    const { plaintext: back } = await client.decrypt(ciphertext, { expectedEncryptionContext: context });
    expect(Buffer.from(back)).toEqual(plaintext);

    const breakGlass = RawAesKeyProvider({ namespace: 'break-glass', name: 'k1', key: randomBytes(32) });
    const both = createClient({ keyProviders: [provider, breakGlass] });
    const { ciphertext: two } = await both.encrypt(plaintext, { encryptionContext: context });
    expect(Buffer.from((await createClient({ keyProvider: breakGlass }).decrypt(two)).plaintext)).toEqual(plaintext);
    expect(Buffer.from((await createClient({ keyProvider: provider }).decrypt(two)).plaintext)).toEqual(plaintext);

    const wrongKey = createClient({ keyProvider: HsmKeyProvider({ backend: hsm, keyLabel: 'other-kek' }) });
    const err = await wrongKey.decrypt(ciphertext).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err)).toBe(true);
  });

  it('recovers transparently when the HSM dropped the login and renumbered handles', async () => {
    const provider = HsmKeyProvider({ backend: hsm, keyLabel: 'app-kek' });
    const { plaintextKey, encryptedDataKey } = await provider.generateDataKey({ suite, encryptionContext: context });
    const raw = rawSession(fx.library, 'provider');
    raw.p11.C_Logout(raw.session);
    raw.close();
    const back = await provider.decryptDataKey({ suite, encryptionContext: context, encryptedDataKey });
    expect(Buffer.from(back!)).toEqual(Buffer.from(plaintextKey));
  });

  it('validates options', () => {
    expect(() => HsmKeyProvider({ backend: hsm, keyLabel: '' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => HsmKeyProvider({ backend: {} as never, keyLabel: 'k' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => HsmKeyProvider({ backend: hsm, keyLabel: 'k', providerId: 'aws-kms' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
