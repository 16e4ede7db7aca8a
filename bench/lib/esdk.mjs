// The ESDK peer of the core benchmarks (@aws-crypto/client-node), set up once here so that every
// benchmark compares against the same settings: commitment required both ways, a raw AES-256 keyring,
// and for cached runs a caching materials manager whose limits never expire an entry during a run.
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  getLocalCryptographicMaterialsCache,
  NodeCachingMaterialsManager,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';

/** The ESDK's identifiers of the suites the benchmarks use. */
export const ESDK_SUITE = {
  0x0478: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
  0x0578: AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
};

/** The ESDK client, a raw AES keyring over `key` (32 bytes), and a factory of fresh caching managers. */
export function esdkPeer(key) {
  const esdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const keyring = new RawAesKeyringNode({
    keyName: 'k', keyNamespace: 'bench', unencryptedMasterKey: new Uint8Array(key),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING, utf8Sorting: true,
  });
  const cachingCmm = () => new NodeCachingMaterialsManager({
    backingMaterials: keyring, cache: getLocalCryptographicMaterialsCache(1000), maxAge: 600_000,
    maxMessagesEncrypted: 2 ** 32, maxBytesEncrypted: 2 ** 50,
  });
  return { esdk, keyring, cachingCmm };
}
