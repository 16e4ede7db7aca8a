/** Test-only: the 3-node process cluster now lives in @strongroom/testing (shared with benches and other packages). */
import { DEFAULT_CRYPTO_USER, type LocalHsmCluster, startHsmCluster } from '@strongroom/testing/servers';

export { ensureHsmLocalBuilt, freePort, DEFAULT_AZS as AZS } from '@strongroom/testing/servers';
export const APP = DEFAULT_CRYPTO_USER;
export type ProcCluster = LocalHsmCluster;
export const startProcCluster = (): Promise<ProcCluster> => startHsmCluster();
