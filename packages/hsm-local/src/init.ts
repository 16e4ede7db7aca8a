/**
 * Cluster initialization and node provisioning (as AWS CloudHSM: create cluster → sign the CSR →
 * initialize → activate with the admin password;
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/initialize-cluster.html). `initCluster` creates, in one step:
 * - the cluster CA (trust anchor) and a client certificate, in the cluster (operator) directory;
 * - per node: a data directory with its node certificate and the sealed initial state holding the
 *   cluster masking key, the cluster backup key (PBK), the node's audit key and the unactivated
 *   `admin` user, whose password must be changed at first login. The state is sealed under a key
 *   derived from an external unseal secret (unseal.ts) when one is given, else under a fresh 0600
 *   `unseal.key` in the data directory (development only: whoever reads the directory can unseal it).
 * The backup key is written to no file: it lives only inside the nodes' sealed states (restore.ts).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import { nodeCertNames, writeNodeDir } from './node-dir';
import { checkPasswordHashCost, hashPassword } from './passwords';
import { atomicWriteSync } from './sealed-file';
import { DEFAULT_LIMITS, type ClusterLimits, type NodeStateData, type ReplicatedObject } from './state';
import { createCertificateAuthority } from './x509';
import { newUserId } from './ownership';

/**
 * Options of {@link initCluster}: the cluster directory, nodes with their AZs and hosts, unseal secret, initial admin password, limits.
 */
export interface InitClusterOptions {
  /** The cluster (operator) directory: CA key, client certificate. Created if missing. */
  dir: string;
  /** One entry per node. `dataDir` defaults to `<dir>/nodes/<nodeId>`. */
  nodes: Array<{
    az: string; nodeId?: string; dataDir?: string; unsealSecret?: string;
    /** Host names / addresses clients and peers dial this node at; its certificate names exactly these (default localhost, 127.0.0.1). */
    hosts?: string[];
  }>;
  /**
   * External unseal secret for every node without its own (unseal.ts). Without one, each node gets
   * an `unseal.key` file in its data directory (development only).
   */
  unsealSecret?: string;
  /** Initial admin password (default: random, written to `<dir>/initial-admin-password`). */
  initialAdminPassword?: string;
  /**
   * Limits and policy of the cluster (default {@link DEFAULT_LIMITS}, CloudHSM's quotas). Among them
   * `passwordHashCost`: the scrypt cost of user passwords as log2 N, 10–17 (default 14); lower it only
   * where the passwords are no secret from whoever can read the nodes (a development stack).
   */
  limits?: Partial<ClusterLimits>;
}

/** The defaults with `given` applied, every value checked. @throws StrongroomError INVALID_ARGUMENT naming the bad entry. */
function resolveLimits(given: Partial<ClusterLimits> = {}): ClusterLimits {
  const limits: ClusterLimits = { ...DEFAULT_LIMITS };
  for (const [name, value] of Object.entries(given)) {
    if (!Object.hasOwn(DEFAULT_LIMITS, name)) throw new StrongroomError('INVALID_ARGUMENT', `limits.${name} is not a cluster limit (known: ${Object.keys(DEFAULT_LIMITS).join(', ')})`);
    if (value === undefined) continue;
    const problem = name === 'passwordHashCost' ? checkPasswordHashCost(value) : Number.isSafeInteger(value) && value > 0 ? undefined : `limits.${name} must be a positive integer`;
    if (problem) throw new StrongroomError('INVALID_ARGUMENT', problem);
    limits[name as keyof ClusterLimits] = value;
  }
  return limits;
}

/**
 * What {@link initCluster} created: the cluster id and directory, trust anchor, client certificate, nodes and the initial admin.
 */
export interface ClusterInfo {
  clusterId: string;
  dir: string;
  /** The trust anchor (cluster CA certificate, PEM), what KMS custom key stores ask for. */
  trustAnchor: string;
  clientCert: { certPem: string; keyPem: string };
  nodes: Array<{ nodeId: string; az: string; dataDir: string }>;
  initialAdmin: { user: 'admin'; password: string };
}

/**
 * Create a new cluster: CA, client certificate, masking key, backup key, unactivated admin, node dirs.
 *
 * @example
 * const cluster = await initCluster({ dir: './hsm', nodes: [{ az: 'us-east-1a' }, { az: 'us-east-1b' }, { az: 'us-east-1c' }] });
 * // cluster.trustAnchor, cluster.clientCert, cluster.nodes[i].dataDir, cluster.initialAdmin.password
 * @throws StrongroomError IO_ERROR if `dir` already holds a cluster; INVALID_ARGUMENT for bad nodes or limits (nothing is written then).
 */
export async function initCluster(options: InitClusterOptions): Promise<ClusterInfo> {
  const dir = resolve(options.dir);
  if (existsSync(join(dir, 'cluster.json'))) throw new StrongroomError('IO_ERROR', `${dir} already holds a cluster`);
  if (options.nodes.length < 1) throw new StrongroomError('INVALID_ARGUMENT', 'nodes: at least one node is required');
  for (const n of options.nodes) if (n.hosts) nodeCertNames(n.hosts); // refuse bad names before anything is written
  const limits = resolveLimits(options.limits);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const clusterId = `cluster-${randomBytes(6).toString('hex')}`;
  const ca = createCertificateAuthority(`strongroom-hsm ${clusterId} CA`);
  const client = ca.issue(`client:${clusterId}`, 'client');
  const maskingKey = randomBytes(32);
  const backupKey = randomBytes(32);
  const password = options.initialAdminPassword ?? randomBytes(12).toString('base64url');
  const admin: ReplicatedObject = {
    kind: 'user', id: 'u:admin', uid: newUserId(), version: 1, name: 'admin', role: 'admin', password: await hashPassword(password, limits.passwordHashCost), mustChangePassword: true, locked: false,
  };
  const nodes = options.nodes.map((n, i) => {
    const nodeId = n.nodeId ?? `hsm-${i + 1}-${randomBytes(3).toString('hex')}`;
    return { nodeId, az: n.az, dataDir: resolve(n.dataDir ?? join(dir, 'nodes', nodeId)) };
  });
  nodes.forEach((n, i) => {
    const state: NodeStateData = {
      format: 1, nodeId: n.nodeId, rebootCounter: 0, cluster: { clusterId, maskingKey, backupKey, limits }, objects: { [admin.id]: admin },
      audit: { key: randomBytes(32), head: null },
    };
    writeNodeDir(ca, n.dataDir, { nodeId: n.nodeId, clusterId, az: n.az }, state, options.nodes[i]!.unsealSecret ?? options.unsealSecret, options.nodes[i]!.hosts);
  });
  atomicWriteSync(join(dir, 'ca.crt'), ca.certPem, 0o644);
  atomicWriteSync(join(dir, 'ca.key'), ca.keyPem, 0o600);
  atomicWriteSync(join(dir, 'client.crt'), client.certPem, 0o644);
  atomicWriteSync(join(dir, 'client.key'), client.keyPem, 0o600);
  if (!options.initialAdminPassword) atomicWriteSync(join(dir, 'initial-admin-password'), `${password}\n`, 0o600);
  atomicWriteSync(join(dir, 'cluster.json'), JSON.stringify({ clusterId, createdAt: new Date().toISOString(), nodes }, null, 2), 0o644);
  maskingKey.fill(0);
  backupKey.fill(0);
  return { clusterId, dir, trustAnchor: ca.certPem, clientCert: client, nodes, initialAdmin: { user: 'admin', password } };
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
  };
}
