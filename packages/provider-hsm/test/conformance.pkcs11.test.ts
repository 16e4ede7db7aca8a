/**
 * The shared KeyProvider conformance suite (@strongroom/testing) for HsmKeyProvider over
 * SoftHSMv2 through the PKCS#11 client. (The hsm-local cluster variant runs the same suite.)
 */
import { describe } from 'vitest';
import { describeKeyProviderConformance } from '@strongroom/testing';
import { HsmKeyProvider, openPkcs11 } from '../src/index';
import { requireSoftHsm, softHsmFixture } from './softhsm';

const availability = requireSoftHsm('provider-hsm conformance (PKCS#11)');

describe.skipIf(!availability.ok)('HsmKeyProvider over SoftHSMv2', () => {
  describeKeyProviderConformance('HsmKeyProvider (PKCS#11, SoftHSMv2)', async () => {
    const fx = softHsmFixture(availability as Extract<typeof availability, { ok: true }>);
    const token = fx.initToken('conformance');
    const hsm = await openPkcs11({ library: fx.library, tokenLabel: token.tokenLabel, pin: token.pin });
    await hsm.generateAesKey({ label: 'conformance-kek', bits: 256 });
    await hsm.generateAesKey({ label: 'conformance-other', bits: 256 });
    return {
      provider: HsmKeyProvider({ backend: hsm, keyLabel: 'conformance-kek' }),
      other: HsmKeyProvider({ backend: hsm, keyLabel: 'conformance-other' }),
      cleanup: async () => {
        await hsm.close();
        fx.cleanup();
      },
    };
  });
});
