/**
 * A node's durable state: the replicated object set (users, token keys, quorum settings) plus the
 * cluster secrets, sealed under the node's unseal key and replaced atomically on every change
 * (docs/hsm-cluster.md#10-durability-and-tamper-response).
 *
 * Group commit: mutations apply in memory and call `persist()`, which resolves once a snapshot that
 * includes them is on disk. Concurrent mutations share one write + fsync, so a burst of key creations
 * costs one fsync per batch, and nothing is acknowledged before it is durable.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyClass, KeyType, NodeKeyAttributes, Role } from '@strongroom/hsm-protocol';
import { atomicWrite, fromJsonBytes, seal, toJsonBytes, unseal } from './sealed-file';
import { DEFAULT_PASSWORD_HASH_COST } from './passwords';

// The key and user vocabulary is the protocol's (one declaration for nodes and clients).
export type { KeyClass, KeyType, Role } from '@strongroom/hsm-protocol';

export interface PasswordHash {
  salt: Buffer;
  n: number;
  r: number;
  p: number;
  hash: Buffer;
}

export interface UserObject {
  kind: 'user';
  id: string; // "u:<name>"
  version: number;
  deleted?: boolean;
  name: string;
  role: Role;
  password: PasswordHash;
  /** CloudHSM's unactivated admin: must change the password before anything else. */
  mustChangePassword: boolean;
  locked: boolean;
  /** Immutable random id (ownership.ts); absent in state written before ids existed. */
  uid?: string;
  /** SPKI PEM of the user's quorum approval key (ECDSA P-256). */
  quorumKey?: string;
}

/** PKCS#11-style attributes of a stored key (the protocol's `NodeKeyAttributes`). */
export type KeyAttributes = NodeKeyAttributes;

export interface KeyObjectRecord {
  kind: 'key';
  id: string; // "k:<handle>"
  version: number;
  deleted?: boolean;
  handle: string;
  label: string;
  /** The PKCS#11 CKA_ID-like application id (hex), optional. */
  keyId: string;
  type: KeyType;
  class: KeyClass;
  /** AES/generic: key bits; RSA: modulus bits; EC: curve bits. */
  bits: number;
  curve?: 'P-256' | 'P-384';
  /** The owner's name (as reported) and immutable user id (ownership checks use the id). */
  owner: string;
  ownerId?: string;
  /** User ids (never names) of the crypto users the key is shared with. */
  sharedWith: string[];
  /** The client-chosen id of the request that created the key: a retry with it returns this key. */
  requestId?: string;
  attrs: KeyAttributes;
  /** The other half of a key pair. */
  pairHandle?: string;
  /** Raw bytes (secret), PKCS#8 DER (private) or SPKI DER (public). Empty on tombstones. */
  material: Buffer;
  createdAt: number;
}

export interface QuorumObject {
  kind: 'quorum';
  id: 'q:settings';
  version: number;
  deleted?: boolean;
  /** Minimum approvals per service; 1 = quorum disabled. */
  values: { user: number; quorum: number };
}

/** A quorum token that was accepted (its nonce), kept until it expires so no node accepts it again. */
export interface UsedTokenObject {
  kind: 'used-token';
  id: string; // "t:<nonce>"
  version: number;
  deleted?: boolean;
  exp: number;
}

export type ReplicatedObject = UserObject | KeyObjectRecord | QuorumObject | UsedTokenObject;

/** A cluster's limits and policy: capacity (users, keys, sessions, connections), lockout, session lifetimes, quorum token life, password hashing cost. Set at init. */
export interface ClusterLimits {
  maxUsers: number;
  maxKeys: number;
  maxAsymmetricKeys: number;
  maxSessionsPerNode: number;
  maxConnectionsPerNode: number;
  lockoutThreshold: number;
  sessionIdleMs: number;
  sessionMaxMs: number;
  quorumTokenTtlMs: number;
  /**
   * scrypt cost of new password hashes, log2 N (10–17; default 14 = 16 MiB, ≈ 60 ms per login per
   * node). States written before it existed read as the default.
   */
  passwordHashCost: number;
}

/** Default limits: AWS CloudHSM hsm2m.medium's quotas. */
export const DEFAULT_LIMITS: ClusterLimits = {
  // hsm2m.medium quotas (https://docs.aws.amazon.com/cloudhsm/latest/userguide/limits.html): 1,024 users; 16,666 keys of which ≤ 3,333 asymmetric.
  maxUsers: 1024,
  maxKeys: 16_666,
  maxAsymmetricKeys: 3_333,
  maxSessionsPerNode: 1024,
  maxConnectionsPerNode: 900,
  lockoutThreshold: 5,
  sessionIdleMs: 10 * 60_000,
  sessionMaxMs: 8 * 60 * 60_000,
  quorumTokenTtlMs: 10 * 60_000,
  passwordHashCost: DEFAULT_PASSWORD_HASH_COST,
};

export interface ClusterSecrets {
  clusterId: string;
  /** The cluster masking key: masked objects are AES-256-GCM under it. */
  maskingKey: Buffer;
  /**
   * The persistent backup key (PBK) that wraps each backup's ephemeral key. It exists only inside
   * sealed node states (and, wrapped, inside backups); no file and no operation ever carries it.
   */
  backupKey: Buffer;
  limits: ClusterLimits;
}

export interface NodeStateData {
  format: 1;
  cluster: ClusterSecrets;
  nodeId: string;
  rebootCounter: number;
  objects: Record<string, ReplicatedObject>;
  /** This node's audit MAC key and the last durable record of its log (audit.ts). */
  audit?: AuditSealed | undefined;
}

/** The audit chain key (HMAC-SHA-256) and head, sealed so that the log cannot be cut silently. */
export interface AuditSealed {
  key: Buffer;
  head: AuditHead | null;
}

export interface AuditHead {
  seq: number;
  mac: string;
}

export interface NodeIdentity {
  nodeId: string;
  clusterId: string;
  az: string;
  /** Where the unseal key comes from (unseal.ts); absent = the key file. */
  unseal?: 'file' | 'external' | undefined;
}

export const STATE_FILE = 'state.sealed';
export const TAMPER_MARKER = 'TAMPERED';
export const IDENTITY_FILE = 'node.json';
export { UNSEAL_KEY_FILE } from './unseal';

export function readIdentity(dataDir: string): NodeIdentity {
  return JSON.parse(readFileSync(join(dataDir, IDENTITY_FILE), 'utf8')) as NodeIdentity;
}

export function sealState(unsealKey: Buffer, data: NodeStateData): Buffer {
  return seal(unsealKey, 'node-state', `${data.cluster.clusterId}/${data.nodeId}`, toJsonBytes(data));
}

/** @throws TamperError if the sealed state does not authenticate. */
export function unsealState(unsealKey: Buffer, identity: NodeIdentity, blob: Buffer): NodeStateData {
  return fromJsonBytes<NodeStateData>(unseal(unsealKey, 'node-state', `${identity.clusterId}/${identity.nodeId}`, blob));
}

export interface StateStore {
  data: NodeStateData;
  /** Resolves when a snapshot including every mutation made before this call is durable. */
  persist(): Promise<void>;
  /** Zeroize in-memory secrets (tamper response, shutdown). */
  zeroize(): void;
}

export function loadStateFile(dataDir: string, unsealKey: Buffer, identity: NodeIdentity): NodeStateData {
  const path = join(dataDir, STATE_FILE);
  return unsealState(unsealKey, identity, readFileSync(path));
}

export function createStateStore(dataDir: string, unsealKey: Buffer, data: NodeStateData): StateStore {
  const path = join(dataDir, STATE_FILE);
  let dirty = 0; // generation of the latest mutation request
  let written = 0;
  let writing: Promise<void> | null = null;
  let waiters: Array<{ gen: number; resolve: () => void; reject: (e: unknown) => void }> = [];

  async function loop(): Promise<void> {
    while (written < dirty) {
      const gen = dirty;
      const blob = sealState(unsealKey, data);
      try {
        await atomicWrite(path, blob);
      } catch (e) {
        const failed = waiters.filter((w) => w.gen <= gen);
        waiters = waiters.filter((w) => w.gen > gen);
        for (const w of failed) w.reject(e);
        written = gen;
        continue;
      }
      written = gen;
      const done = waiters.filter((w) => w.gen <= gen);
      waiters = waiters.filter((w) => w.gen > gen);
      for (const w of done) w.resolve();
    }
    writing = null;
  }

  return {
    data,
    persist() {
      const gen = ++dirty;
      const p = new Promise<void>((resolve, reject) => waiters.push({ gen, resolve, reject }));
      if (!writing) writing = Promise.resolve().then(loop);
      return p;
    },
    zeroize() {
      data.cluster.maskingKey.fill(0);
      data.cluster.backupKey.fill(0);
      // The audit key stays: a tampered node keeps logging under it (its log must stay verifiable).
      for (const o of Object.values(data.objects)) if (o.kind === 'key') o.material.fill(0);
      data.objects = {};
      unsealKey.fill(0);
    },
  };
}

export function isTamperMarked(dataDir: string): boolean {
  return existsSync(join(dataDir, TAMPER_MARKER));
}

export function markTampered(dataDir: string, reason: string): void {
  writeFileSync(join(dataDir, TAMPER_MARKER), `${new Date().toISOString()} ${reason}\n`, { mode: 0o600 });
}
