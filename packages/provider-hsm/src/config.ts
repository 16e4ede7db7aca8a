/**
 * The resolved shape of a Strongroom HSM configuration file (docs/hsm-provider.md, "Configuration
 * file"): the cluster section and the PKCS#11 section, every PEM and secret already read. Its own
 * module so that the cluster client and the file loader share it without importing each other.
 */
/** The `hsm` section with every PEM and secret resolved: what a cluster client connects with. */
export interface HsmClusterConfig {
  readonly clusterId?: string | undefined;
  readonly nodes: readonly { readonly url: string; readonly az?: string | undefined }[];
  /** The client's own AZ label, to prefer nodes there. */
  readonly az?: string | undefined;
  readonly trustAnchorPem: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
  readonly user: string;
  readonly password: string;
}

/** The `pkcs11` section of an HSM config file (docs/hsm-provider.md#configuration-file-hsmkeyproviderfromconfig). */
export interface Pkcs11Config {
  readonly library: string;
  readonly tokenLabel?: string | undefined;
  readonly slot?: number | undefined;
  readonly pin: string;
  readonly maxSessions?: number | undefined;
}

/** An HSM config file: the key label and a `pkcs11` or `hsm` (cluster) section. */
export interface StrongroomHsmConfig {
  readonly keyLabel?: string | undefined;
  readonly hsm?: HsmClusterConfig | undefined;
  readonly pkcs11?: Pkcs11Config | undefined;
}
