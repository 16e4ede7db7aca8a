/** HsmSigner / HsmMac over SoftHSMv2, verified with node:crypto. */
import { createHmac, randomBytes, verify as nodeVerify, createPublicKey, constants } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HsmMac, HsmSigner, openPkcs11, type Pkcs11Backend } from '../src/index';
import { rawSession } from './raw-pkcs11';
import { requireSoftHsm, softHsmFixture, type SoftHsmFixture } from './softhsm';

const availability = requireSoftHsm('provider-hsm HsmSigner/HsmMac');

describe.skipIf(!availability.ok)('HsmSigner and HsmMac over SoftHSMv2', () => {
  let fx: SoftHsmFixture;
  let hsm: Pkcs11Backend;
  const macKey = randomBytes(64);

  beforeAll(async () => {
    fx = softHsmFixture(availability as Extract<typeof availability, { ok: true }>);
    const token = fx.initToken('signing');
    hsm = await openPkcs11({ library: fx.library, tokenLabel: token.tokenLabel, pin: token.pin });
    await hsm.generateKeyPair({ type: 'ec', curve: 'P-384', label: 'release-signing' });
    await hsm.generateKeyPair({ type: 'rsa', bits: 2048, label: 'rsa-signing' });
    const raw = rawSession(fx.library, token.tokenLabel);
    raw.importSecret('token-mac', macKey, 'generic');
    raw.close();
  });
  afterAll(async () => {
    await hsm?.close();
    fx?.cleanup();
  });

  it('ECDSA P-384: signatures verify with node:crypto against the exported public key', async () => {
    const signer = HsmSigner({ backend: hsm, keyLabel: 'release-signing', mechanism: { type: 'ecdsa', hash: 'sha384' } });
    const artifact = randomBytes(5000);
    const signature = await signer.sign(artifact);
    const spki = createPublicKey({ key: Buffer.from(await signer.publicKey()), format: 'der', type: 'spki' });
    expect(spki.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    expect(nodeVerify('sha384', artifact, spki, signature)).toBe(true);
    expect(await signer.verify(artifact, signature)).toBe(true);
    expect(await signer.verify(artifact.subarray(1), signature)).toBe(false);
    expect(await signer.verify(artifact, randomBytes(20))).toBe(false);
  });

  it('RSA-PSS: verifies with node:crypto; a wrong key type or label is refused', async () => {
    const signer = HsmSigner({ backend: hsm, keyLabel: 'rsa-signing', mechanism: { type: 'rsa-pss', hash: 'sha256' } });
    const data = Buffer.from('token payload');
    const sig = await signer.sign(data);
    const spki = createPublicKey({ key: Buffer.from(await signer.publicKey()), format: 'der', type: 'spki' });
    expect(nodeVerify('sha256', data, { key: spki, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)).toBe(true);
    await expect(HsmSigner({ backend: hsm, keyLabel: 'rsa-signing', mechanism: { type: 'ecdsa', hash: 'sha256' } }).sign(data)).rejects.toMatchObject({
      code: 'KEY_UNAVAILABLE',
    });
    await expect(HsmSigner({ backend: hsm, keyLabel: 'missing', mechanism: { type: 'ecdsa', hash: 'sha256' } }).sign(data)).rejects.toMatchObject({
      code: 'KEY_UNAVAILABLE',
    });
    expect(() => HsmSigner({ backend: hsm, keyLabel: 'x', mechanism: { type: 'dsa', hash: 'sha256' } as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('HMAC tags equal node:crypto HMAC with the same key; verify is exact', async () => {
    for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
      const mac = HsmMac({ backend: hsm, keyLabel: 'token-mac', hash });
      const data = randomBytes(300);
      const tag = await mac.mac(data);
      expect(Buffer.from(tag)).toEqual(createHmac(hash, macKey).update(data).digest());
      expect(await mac.verify(data, tag)).toBe(true);
      const bad = Uint8Array.from(tag);
      bad[bad.length - 1]! ^= 1;
      expect(await mac.verify(data, bad)).toBe(false);
      expect(await mac.verify(data, tag.subarray(0, 16))).toBe(false);
    }
  });
});
