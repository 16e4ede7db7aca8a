/**
 * Capability flags of a PKCS#11 module (flags instead of vendor branches:
 * docs/hsm-provider.md#capability-flags-instead-of-vendor-branches).
 *
 * - `ecdsaHashesInside` is probed from C_GetMechanismList (CKM_ECDSA_SHA256/384/512 present).
 * - `gcmIv` and `oaepHashes` cannot be probed without side effects, so they come from a small
 *   table of known module profiles matched on the manufacturer ID, with the PKCS#11 v2.40 default
 *   (caller-supplied IV, OAEP SHA-1) for unknown modules; callers override any flag explicitly.
 *   - SoftHSMv2: caller IV, OAEP SHA-1 only (docs/hsm-provider.md#softhsmv2-for-development-and-tests).
 *   - AWS CloudHSM: HSM-generated IV written back into CK_GCM_PARAMS.pIv, OAEP SHA-1…512
 *     (https://docs.aws.amazon.com/cloudhsm/latest/userguide/pkcs11-mechanisms.html).
 */
import type { HsmCapabilities, HsmHash } from '../backend';
import type { Pkcs11Module } from './load';

interface Profile {
  readonly match: RegExp;
  readonly gcmIv: HsmCapabilities['gcmIv'];
  readonly oaepHashes: readonly HsmHash[];
}

const PROFILES: readonly Profile[] = [
  { match: /softhsm/i, gcmIv: 'caller', oaepHashes: ['sha1'] },
  { match: /cloudhsm|amazon|aws/i, gcmIv: 'hsm', oaepHashes: ['sha1', 'sha256', 'sha384', 'sha512'] },
];

const DEFAULT_PROFILE = { gcmIv: 'caller', oaepHashes: ['sha1'] } as const;

export function detectCapabilities(
  mod: Pkcs11Module,
  manufacturer: string,
  mechanisms: readonly number[],
  overrides: Partial<HsmCapabilities> = {},
): HsmCapabilities {
  const profile = PROFILES.find((p) => p.match.test(manufacturer)) ?? DEFAULT_PROFILE;
  const has = new Set(mechanisms);
  return Object.freeze({
    gcmIv: overrides.gcmIv ?? profile.gcmIv,
    oaepHashes: Object.freeze([...(overrides.oaepHashes ?? profile.oaepHashes)]),
    ecdsaHashesInside:
      overrides.ecdsaHashesInside ??
      (has.has(mod.CKM_ECDSA_SHA256) && has.has(mod.CKM_ECDSA_SHA384) && has.has(mod.CKM_ECDSA_SHA512)),
    keyAvailabilityCheck: overrides.keyAvailabilityCheck ?? false,
  });
}
