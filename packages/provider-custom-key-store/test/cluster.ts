/**
 * Test helper: a 3-node hsm-local cluster of real processes (3 AZ labels) with an activated admin and
 * the `kmsuser` crypto user a CloudHSM key store logs in as (docs/custom-key-stores.md) — the shared starter
 * from @strongroom/testing.
 */
import { DEFAULT_AZS, type LocalHsmCluster, startHsmCluster } from '@strongroom/testing/servers';

export const AZS = DEFAULT_AZS;
export const KMSUSER_PASSWORD = 'kmsuser-Passw0rd';
export type TestCluster = LocalHsmCluster;

export async function startTestCluster(): Promise<TestCluster> {
  return startHsmCluster({ cryptoUser: { user: 'kmsuser', password: KMSUSER_PASSWORD } });
}
export const ADMIN_PASSWORD = 'admin-password-1';
