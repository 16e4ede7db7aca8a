/**
 * `@strongroom/hsm-local` — a local HSM cluster in the style of AWS CloudHSM (docs/hsm-cluster.md).
 *
 * @module \@strongroom/hsm-local
 */
export { initCluster, loadCluster, type InitClusterOptions, type ClusterInfo } from './init';
export { addNodeFromBackup, type AddNodeOptions } from './restore';
export { UNSEAL_SECRET_ENV, deriveUnsealKey, readUnsealSecret } from './unseal';
export { startHsmNode, defaultCliPath, type StartHsmNodeOptions, type StartedHsmNode } from './spawn';
export { freeListenPort } from './free-port';
export { MIN_SYNC_INTERVAL_MS, runNode, type RunNodeOptions, type RunningNode } from './node';
// Compatibility re-exports: the connection and the codec live in @strongroom/hsm-protocol.
export { connectHsmNode, parseNodeUrl, wire, type HsmNodeConnectOptions, type HsmNodeConnection } from '@strongroom/hsm-protocol';
export { verifyAuditLog, verifyNodeAuditLog, type AuditVerifyResult, type AuditProblem } from './audit-verify';
export { encodeBackup, decodeBackup, applyRetention, readBackupFile, writeBackupFile, type RetentionPolicy, type BackupHeader } from './backup';
export { signQuorumToken } from './quorum';
export { SHAPING_PROFILES, resolveShaping, type ShapingConfig } from './shaping';
export { DEFAULT_LIMITS, type ClusterLimits } from './state';
export { createCertificateAuthority, loadCertificateAuthority, type CertificateAuthority } from './x509';
