/** Build Strongroom providers and ESDK keyrings from the same vector master keys. */
import { constants } from 'node:crypto';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy as EsdkPolicy,
  type KeyringNode,
  MultiKeyringNode,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
  RawRsaKeyringNode,
} from '@aws-crypto/client-node';
import { type KeyProvider, RawAesKeyProvider, RawRsaKeyProvider } from '@strongroom/core';
import type { EncryptScenario, VectorMasterKey } from '@strongroom/testing';

const AES_WRAP = {
  128: RawAesWrappingSuiteIdentifier.AES128_GCM_IV12_TAG16_NO_PADDING,
  192: RawAesWrappingSuiteIdentifier.AES192_GCM_IV12_TAG16_NO_PADDING,
  256: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
} as const;

function rsaPair(mk: VectorMasterKey, keys: Map<string, { material?: unknown; type: string }>) {
  // The manifest names either half; the other half of the vector key pair is always present.
  const priv = keys.get('rsa-4096-private')!.material as string;
  const pub = keys.get('rsa-4096-public')!.material as string;
  return { privateKey: mk.key.type === 'public' ? undefined : priv, publicKey: pub };
}

export function strongroomProviders(s: EncryptScenario, keys: Map<string, any>): KeyProvider[] {
  return s.masterKeys.map((mk) => {
    if (mk.encryptionAlgorithm === 'aes') return RawAesKeyProvider({ namespace: mk.providerId, name: mk.key.keyId, key: mk.key.material as Uint8Array });
    const { privateKey, publicKey } = rsaPair(mk, keys);
    return RawRsaKeyProvider({ namespace: mk.providerId, name: mk.key.keyId, publicKey, privateKey, padding: mk.padding!, allowLegacyPkcs1: true });
  });
}

export function esdkKeyring(s: EncryptScenario, keys: Map<string, any>): KeyringNode {
  const rings: KeyringNode[] = s.masterKeys.map((mk) => {
    if (mk.encryptionAlgorithm === 'aes') {
      return new RawAesKeyringNode({
        keyName: mk.key.keyId,
        keyNamespace: mk.providerId,
        // a standalone buffer (the ESDK rejects slices of a larger ArrayBuffer)
        unencryptedMasterKey: new Uint8Array(mk.key.material as Uint8Array),
        wrappingSuite: AES_WRAP[mk.key.bits as 128 | 192 | 256],
        utf8Sorting: true,
      });
    }
    const { privateKey, publicKey } = rsaPair(mk, keys);
    return new RawRsaKeyringNode({
      keyName: mk.key.keyId,
      keyNamespace: mk.providerId,
      rsaKey: { publicKey, privateKey } as any,
      padding: mk.padding === 'pkcs1' ? constants.RSA_PKCS1_PADDING : constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: mk.padding === 'pkcs1' ? undefined : (mk.padding!.slice(5) as any),
    });
  });
  return rings.length === 1 ? rings[0]! : new MultiKeyringNode({ generator: rings[0], children: rings.slice(1) });
}

export const esdkForbid = buildClient(EsdkPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT);
export const esdkRequire = buildClient(EsdkPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
export const esdkSuite = (id: number) => id as AlgorithmSuiteIdentifier;
