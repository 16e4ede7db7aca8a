/**
 * Cluster initialization and node provisioning (reference A.8: create cluster → sign → initialize →
 * activate with the admin password). `initCluster` creates, in one step:
 * - the cluster CA (trust anchor) and a client certificate, in the cluster (operator) directory;
 * - per node: a data directory with its node certificate, a fresh 0600 unseal key, and the sealed
 *   initial state holding the cluster masking key, the backup key (PBK) and the unactivated `admin`
 *   user, whose password must be changed at first login.
 * `addNodeFromBackup` provisions a new node (or re-provisions a tampered one) from a backup.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import { readBackupFile } from './backup';
import { hashPassword } from './passwords';
import { atomicWriteSync } from './sealed-file';
import {
  DEFAULT_LIMITS, IDENTITY_FILE, sealState, STATE_FILE, TAMPER_MARKER, UNSEAL_KEY_FILE,
  type ClusterLimits, type NodeIdentity, type NodeStateData, type ReplicatedObject,
} from './state';
import { createCertificateAuthority, loadCertificateAuthority, type CertificateAuthority } from './x509';
import { newUserId } from './ownership';

export interface InitClusterOptions {
  /** The cluster (operator) directory: CA key, client certificate, backup key. Created if missing. */
  dir: string;
  /** One entry per node. `dataDir` defaults to `<dir>/nodes/<nodeId>`. */
  nodes: Array<{ az: string; nodeId?: string; dataDir?: string }>;
  /** Initial admin password (default: random, written to `<dir>/initial-admin-password`). */
  initialAdminPassword?: string;
  limits?: Partial<ClusterLimits>;
}

export interface ClusterInfo {
  clusterId: string;
  dir: string;
  /** The trust anchor (cluster CA certificate, PEM), what KMS custom key stores ask for. */
  trustAnchor: string;
  clientCert: { certPem: string; keyPem: string };
  nodes: Array<{ nodeId: string; az: string; dataDir: string }>;
  initialAdmin: { user: 'admin'; password: string };
  /** Path of the cluster backup key (PBK) file. */
  backupKeyPath: string;
}

function writeNodeDir(ca: CertificateAuthority, dataDir: string, identity: NodeIdentity, state: NodeStateData): void {
  mkdirSync(join(dataDir, 'tls'), { recursive: true, mode: 0o700 });
  const cert = ca.issue(`node:${identity.nodeId}`, 'server+client', { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  atomicWriteSync(join(dataDir, 'tls', 'ca.crt'), ca.certPem, 0o644);
  atomicWriteSync(join(dataDir, 'tls', 'node.crt'), cert.certPem, 0o644);
  atomicWriteSync(join(dataDir, 'tls', 'node.key'), cert.keyPem, 0o600);
  atomicWriteSync(join(dataDir, IDENTITY_FILE), JSON.stringify(identity, null, 2), 0o644);
  const unsealKey = randomBytes(32);
  atomicWriteSync(join(dataDir, UNSEAL_KEY_FILE), unsealKey, 0o600);
  atomicWriteSync(join(dataDir, STATE_FILE), sealState(unsealKey, { ...state, nodeId: identity.nodeId }), 0o600);
  unsealKey.fill(0);
}

/**
 * Create a new cluster: CA, client certificate, masking key, backup key, unactivated admin, node dirs.
 *
 * @example
 * const cluster = await initCluster({ dir: './hsm', nodes: [{ az: 'us-east-1a' }, { az: 'us-east-1b' }, { az: 'us-east-1c' }] });
 * // cluster.trustAnchor, cluster.clientCert, cluster.nodes[i].dataDir, cluster.initialAdmin.password
 * @throws StrongroomError IO_ERROR if `dir` already holds a cluster.
 */
export async function initCluster(options: InitClusterOptions): Promise<ClusterInfo> {
  const dir = resolve(options.dir);
  if (existsSync(join(dir, 'cluster.json'))) throw new StrongroomError('IO_ERROR', `${dir} already holds a cluster`);
  if (options.nodes.length < 1) throw new StrongroomError('INVALID_ARGUMENT', 'nodes: at least one node is required');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const clusterId = `cluster-${randomBytes(6).toString('hex')}`;
  const ca = createCertificateAuthority(`strongroom-hsm ${clusterId} CA`);
  const client = ca.issue(`client:${clusterId}`, 'client');
  const maskingKey = randomBytes(32);
  const backupKey = randomBytes(32);
  const password = options.initialAdminPassword ?? randomBytes(12).toString('base64url');
  const admin: ReplicatedObject = {
    kind: 'user', id: 'u:admin', uid: newUserId(), version: 1, name: 'admin', role: 'admin', password: await hashPassword(password), mustChangePassword: true, locked: false,
  };
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const nodes = options.nodes.map((n, i) => {
    const nodeId = n.nodeId ?? `hsm-${i + 1}-${randomBytes(3).toString('hex')}`;
    return { nodeId, az: n.az, dataDir: resolve(n.dataDir ?? join(dir, 'nodes', nodeId)) };
  });
  for (const n of nodes) {
    const state: NodeStateData = { format: 1, nodeId: n.nodeId, rebootCounter: 0, cluster: { clusterId, maskingKey, backupKey, limits }, objects: { [admin.id]: admin } };
    writeNodeDir(ca, n.dataDir, { nodeId: n.nodeId, clusterId, az: n.az }, state);
  }
  atomicWriteSync(join(dir, 'ca.crt'), ca.certPem, 0o644);
  atomicWriteSync(join(dir, 'ca.key'), ca.keyPem, 0o600);
  atomicWriteSync(join(dir, 'client.crt'), client.certPem, 0o644);
  atomicWriteSync(join(dir, 'client.key'), client.keyPem, 0o600);
  atomicWriteSync(join(dir, 'backup.key'), backupKey, 0o600);
  if (!options.initialAdminPassword) atomicWriteSync(join(dir, 'initial-admin-password'), `${password}\n`, 0o600);
  atomicWriteSync(join(dir, 'cluster.json'), JSON.stringify({ clusterId, createdAt: new Date().toISOString(), nodes }, null, 2), 0o644);
  maskingKey.fill(0);
  return { clusterId, dir, trustAnchor: ca.certPem, clientCert: client, nodes, initialAdmin: { user: 'admin', password }, backupKeyPath: join(dir, 'backup.key') };
}

/** Read a cluster directory written by initCluster (trust anchor, client certificate, node list). */
export function loadCluster(dir: string): Omit<ClusterInfo, 'initialAdmin'> {
  const meta = JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as { clusterId: string; nodes: ClusterInfo['nodes'] };
  return {
    clusterId: meta.clusterId,
    dir,
    trustAnchor: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    clientCert: { certPem: readFileSync(join(dir, 'client.crt'), 'utf8'), keyPem: readFileSync(join(dir, 'client.key'), 'utf8') },
    nodes: meta.nodes,
    backupKeyPath: join(dir, 'backup.key'),
  };
}

export interface AddNodeOptions {
  clusterDir: string;
  dataDir: string;
  backupFile: string;
  /** Required for a new node; for a tampered node being restored, its existing identity is kept. */
  az?: string;
  nodeId?: string;
}

/**
 * Provision a node from a backup: a new node joining the cluster (CloudHSM restores every new HSM
 * from a backup), or a tampered node being restored in place. The node gets a fresh unseal key and
 * node certificate; once started with peers it converges to the cluster's current key set.
 * @throws StrongroomError AUTHENTICATION_FAILED if the backup is altered or from another cluster.
 */
export function addNodeFromBackup(options: AddNodeOptions): { nodeId: string; az: string; dataDir: string } {
  const clusterDir = resolve(options.clusterDir);
  const dataDir = resolve(options.dataDir);
  const pbk = readFileSync(join(clusterDir, 'backup.key'));
  const { contents } = readBackupFile(options.backupFile, pbk);
  const ca = loadCertificateAuthority(readFileSync(join(clusterDir, 'ca.crt'), 'utf8'), readFileSync(join(clusterDir, 'ca.key'), 'utf8'));
  let identity: NodeIdentity;
  if (existsSync(join(dataDir, IDENTITY_FILE))) {
    identity = JSON.parse(readFileSync(join(dataDir, IDENTITY_FILE), 'utf8')) as NodeIdentity;
    if (identity.clusterId !== contents.cluster.clusterId) throw new StrongroomError('INVALID_ARGUMENT', 'backup belongs to another cluster than this node');
  } else {
    if (!options.az) throw new StrongroomError('INVALID_ARGUMENT', 'az is required for a new node');
    identity = { nodeId: options.nodeId ?? `hsm-${randomUUID().slice(0, 8)}`, clusterId: contents.cluster.clusterId, az: options.az };
  }
  if (options.az) identity.az = options.az;
  rmSync(join(dataDir, TAMPER_MARKER), { force: true });
  writeNodeDir(ca, dataDir, identity, { format: 1, nodeId: identity.nodeId, rebootCounter: 0, cluster: contents.cluster, objects: contents.objects });
  return { nodeId: identity.nodeId, az: identity.az, dataDir };
}
