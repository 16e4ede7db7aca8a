/**
 * The data-key cache binds HsmKeyProvider entries to the HSM key itself (handle, HSM, connection),
 * not to its label or a `backendId` override (issue 18 item 6): two tokens holding different keys
 * under the same label and the same logical backend id, sharing one cache partition, must never
 * hand each other's data keys out. Over SoftHSMv2 (PKCS#11).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, createDataKeyCache, type KeyProvider, StrongroomError } from '@strongroom/core';
import { HsmKeyProvider, openPkcs11, type Pkcs11Backend } from '../src/index';
import { requireSoftHsm, softHsmFixture, type SoftHsmFixture } from './softhsm';

const availability = requireSoftHsm('provider-hsm cache identity');
const text = (b: Uint8Array) => Buffer.from(b).toString();

describe.skipIf(!availability.ok)('HsmKeyProvider cache identity over SoftHSMv2', () => {
  let fx: SoftHsmFixture;
  let hsmA: Pkcs11Backend;
  let hsmB: Pkcs11Backend;
  // Both tenants call their key "kek" on an HSM they name "restored-cluster" (the documented use of backendId).
  const tenantA = (): KeyProvider => HsmKeyProvider({ backend: hsmA, keyLabel: 'kek', backendId: 'restored-cluster' });
  const tenantB = (): KeyProvider => HsmKeyProvider({ backend: hsmB, keyLabel: 'kek', backendId: 'restored-cluster' });

  beforeAll(async () => {
    fx = softHsmFixture(availability as Extract<typeof availability, { ok: true }>);
    const a = fx.initToken('tenant-a');
    const b = fx.initToken('tenant-b');
    hsmA = await openPkcs11({ library: fx.library, tokenLabel: a.tokenLabel, pin: a.pin });
    hsmB = await openPkcs11({ library: fx.library, tokenLabel: b.tokenLabel, pin: b.pin });
    await hsmA.generateAesKey({ label: 'kek', bits: 256 });
    await hsmB.generateAesKey({ label: 'kek', bits: 256 });
  });
  afterAll(async () => {
    await hsmA?.close();
    await hsmB?.close();
    fx?.cleanup();
  });

  it("encrypt: tenant B's message is not sealed under tenant A's cached data key", async () => {
    const shared = { cache: createDataKeyCache(), cachePartition: 'shared' };
    await createClient({ keyProvider: tenantA(), ...shared }).encrypt('secret of A');
    const fromB = await createClient({ keyProvider: tenantB(), ...shared }).encrypt('secret of B');
    await expect(createClient({ keyProvider: tenantA() }).decrypt(fromB.ciphertext)).rejects.toThrow(StrongroomError);
    expect(text((await createClient({ keyProvider: tenantB() }).decrypt(fromB.ciphertext)).plaintext)).toBe('secret of B');
  });

  it("decrypt: a client holding tenant B's key cannot open tenant A's message from the cache", async () => {
    const shared = { cache: createDataKeyCache(), cachePartition: 'shared' };
    const fromA = await createClient({ keyProvider: tenantA() }).encrypt('secret of A');
    expect(text((await createClient({ keyProvider: tenantA(), ...shared }).decrypt(fromA.ciphertext)).plaintext)).toBe('secret of A');
    await expect(createClient({ keyProvider: tenantB(), ...shared }).decrypt(fromA.ciphertext)).rejects.toThrow(StrongroomError);
  });

  it('two providers for the same key over one connection still share cached data keys', async () => {
    const shared = { cache: createDataKeyCache(), cachePartition: 'shared' };
    const one = await createClient({ keyProvider: tenantA(), ...shared }).encrypt('1');
    const two = await createClient({ keyProvider: tenantA(), ...shared }).encrypt('2');
    expect(Buffer.from(two.header.encryptedDataKeys[0]!.ciphertext)).toEqual(Buffer.from(one.header.encryptedDataKeys[0]!.ciphertext));
    const identity = await tenantA().cacheIdentity!('encrypt');
    expect(identity).toContain(hsmA.id);
    expect(identity).not.toBe(await tenantB().cacheIdentity!('encrypt'));
  });
});
