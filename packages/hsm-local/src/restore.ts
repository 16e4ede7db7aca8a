/**
 * Restoring a backup into a node (CloudHSM restores every new HSM from a backup:
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/backups.html).
 *
 * A backup is encrypted under the cluster backup key, which exists only inside the nodes' sealed
 * states — no file holds it and no operation returns it. So a restore needs a *donor*: the data
 * directory of a healthy node of the same cluster, and that node's unseal secret. The restore tool
 * unseals the donor's state in memory, takes the backup key, authenticates and decrypts the backup,
 * checks that the backup, the donor and (for a node restored in place) the target all name the same
 * cluster, and seals the result into the target under the target's own unseal key. A backup of
 * another cluster, or one altered by a single bit, is refused.
 *
 * A node restored in place gets a new audit key, so its previous log (whose key was lost with the
 * tampered state) is kept beside the new one as `audit.log.before-restore-<time>`.
 */
import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import { readBackupFile } from './backup';
import { writeNodeDir } from './node-dir';
import { IDENTITY_FILE, isTamperMarked, loadStateFile, readIdentity, TAMPER_MARKER, type NodeIdentity } from './state';
import { resolveUnsealKey, unsealSecretFromEnv } from './unseal';
import { loadCertificateAuthority } from './x509';

/**
 * Options of {@link addNodeFromBackup}: the cluster directory, the new node's directory and AZ, the backup file and a donor node of the same cluster.
 */
export interface AddNodeOptions {
  clusterDir: string;
  dataDir: string;
  backupFile: string;
  /** Data directory of a healthy node of the same cluster: its sealed state holds the backup key. */
  donorDataDir: string;
  /** The donor's external unseal secret (default: STRONGROOM_HSM_UNSEAL_SECRET, else its key file). */
  donorUnsealSecret?: string;
  /** External unseal secret for the restored node (default: STRONGROOM_HSM_UNSEAL_SECRET; none = key file). */
  unsealSecret?: string;
  /** Required for a new node; for a tampered node being restored, its existing identity is kept. */
  az?: string;
  nodeId?: string;
  /** Host names / addresses the node's certificate names (node-dir.ts); default: those of the node's current certificate, else localhost and 127.0.0.1. */
  hosts?: string[];
}

/** The DNS names and IP addresses of an existing node certificate, to keep them across a restore in place. */
function currentCertHosts(dataDir: string): string[] | undefined {
  const path = join(dataDir, 'tls', 'node.crt');
  if (!existsSync(path)) return undefined;
  try {
    const san = new X509Certificate(readFileSync(path)).subjectAltName ?? '';
    const hosts = san.split(', ').map((e) => /^(?:DNS|IP Address):(.+)$/.exec(e)?.[1]).filter((h): h is string => !!h);
    return hosts.length ? hosts : undefined;
  } catch {
    return undefined;
  }
}

function notSameCluster(what: string): StrongroomError {
  return new StrongroomError('INVALID_ARGUMENT', `${what}; a backup restores only into a node of its own cluster`);
}

/**
 * Provision a node from a backup: a new node joining the cluster, or a tampered node restored in
 * place. The node gets a fresh node certificate and audit key; once started with peers it converges
 * to the cluster's current object set.
 * @throws StrongroomError AUTHENTICATION_FAILED if the backup is altered or was made under another
 * backup key; INVALID_ARGUMENT if backup, donor and node are not of one cluster.
 */
export function addNodeFromBackup(options: AddNodeOptions): { nodeId: string; az: string; dataDir: string } {
  const clusterDir = resolve(options.clusterDir);
  const dataDir = resolve(options.dataDir);
  const donorDir = resolve(options.donorDataDir);
  if (donorDir === dataDir) throw new StrongroomError('INVALID_ARGUMENT', 'the donor must be another, healthy node of the cluster');
  if (isTamperMarked(donorDir)) throw new StrongroomError('INVALID_ARGUMENT', `donor ${donorDir} is TAMPERED; use another node of the cluster`);
  const donorId = readIdentity(donorDir);
  const donorKey = resolveUnsealKey(donorDir, donorId, options.donorUnsealSecret ?? unsealSecretFromEnv());
  const donor = loadStateFile(donorDir, donorKey, donorId);
  donorKey.fill(0);
  let contents;
  let header;
  try {
    ({ header, contents } = readBackupFile(options.backupFile, donor.cluster.backupKey));
  } finally {
    donor.cluster.backupKey.fill(0);
    donor.cluster.maskingKey.fill(0);
    for (const o of Object.values(donor.objects)) if (o.kind === 'key') o.material.fill(0);
  }
  if (header.clusterId !== donorId.clusterId || contents.cluster.clusterId !== donorId.clusterId) {
    throw notSameCluster(`backup of ${contents.cluster.clusterId}, donor of ${donorId.clusterId}`);
  }
  const ca = loadCertificateAuthority(readFileSync(join(clusterDir, 'ca.crt'), 'utf8'), readFileSync(join(clusterDir, 'ca.key'), 'utf8'));
  let identity: NodeIdentity;
  if (existsSync(join(dataDir, IDENTITY_FILE))) {
    identity = readIdentity(dataDir);
    if (identity.clusterId !== contents.cluster.clusterId) throw notSameCluster(`this node belongs to ${identity.clusterId}`);
    const log = join(dataDir, 'audit.log');
    if (existsSync(log)) renameSync(log, `${log}.before-restore-${new Date().toISOString().replace(/[:.]/g, '')}`);
  } else {
    if (!options.az) throw new StrongroomError('INVALID_ARGUMENT', 'az is required for a new node');
    identity = { nodeId: options.nodeId ?? `hsm-${randomUUID().slice(0, 8)}`, clusterId: contents.cluster.clusterId, az: options.az };
  }
  if (options.az) identity.az = options.az;
  const hosts = options.hosts ?? currentCertHosts(dataDir);
  rmSync(join(dataDir, TAMPER_MARKER), { force: true });
  writeNodeDir(ca, dataDir, identity, {
    format: 1, nodeId: identity.nodeId, rebootCounter: 0, cluster: contents.cluster, objects: contents.objects,
    audit: { key: randomBytes(32), head: null },
  }, options.unsealSecret ?? unsealSecretFromEnv(), hosts);
  return { nodeId: identity.nodeId, az: identity.az, dataDir };
}
