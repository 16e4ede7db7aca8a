/**
 * `@strongroom/provider-hsm` — key providers and helpers over an HSM: the PKCS#11 client
 * (`openPkcs11`, SoftHSMv2 / AWS CloudHSM / any PKCS#11 module) and the hsm-local cluster client,
 * both behind the `HsmBackend` seam. See docs/hsm-provider.md.
 *
 * @module \@strongroom/provider-hsm
 */
export type * from './backend';
export * from './pkcs11/index';
export * from './cluster/index';
export { HsmKeyProvider, DEFAULT_HSM_PROVIDER_ID, type HsmKeyProviderOptions } from './key-provider';
export { encodeProviderInfo, parseProviderInfo, type HsmProviderInfo } from './provider-info';
export { HsmSigner, type HsmSignerOptions } from './signer';
export { HsmMac, type HsmMacOptions, type HsmMacHash } from './mac';
export { ecdsaDerToRaw, ecdsaRawToDer } from './ecdsa-der';
export {
  hsmKeyProviderFromConfig,
  loadHsmConfig,
  type HsmClusterConfig,
  type Pkcs11Config,
  type StrongroomHsmConfig,
  type HsmKeyProviderFromConfigOptions,
  type OwnedHsmKeyProvider,
} from './from-config';
