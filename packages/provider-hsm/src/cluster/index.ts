/**
 * The cluster client (docs/hsm-cluster.md): `connectHsmCluster`, and an adapter with the signature
 * `hsmKeyProviderFromConfig({ connectCluster })` expects.
 */
import type { HsmBackend, HsmCallOptions } from '../backend';
import type { HsmClusterConfig } from '../config';
import { connectHsmCluster, type HsmClusterOptions } from './client';

export { connectHsmCluster, type HsmClusterClient, type HsmClusterNodeStatus, type HsmClusterOptions } from './client';

/**
 * Connect from a resolved config-file `hsm` section (see from-config.ts).
 * @throws StrongroomError as connectHsmCluster.
 */
export function connectHsmClusterFromConfig(
  config: HsmClusterConfig,
  options: HsmCallOptions & Pick<HsmClusterOptions, 'keyAvailability' | 'disableKeyAvailabilityCheck' | 'failoverTimeoutMs'> = {},
): Promise<HsmBackend> {
  return connectHsmCluster({
    nodes: config.nodes.map((n) => ({ url: n.url, az: n.az })),
    trustAnchor: config.trustAnchorPem,
    clientCert: { certPem: config.clientCertPem, keyPem: config.clientKeyPem },
    user: config.user,
    password: config.password,
    az: config.az,
    ...options,
  });
}
