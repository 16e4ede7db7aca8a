/**
 * One hsm-local node, in-process: load and unseal the node's state (or enter TAMPERED), open the
 * audit log, serve mutual TLS, pull from peers, and watch the sealed state for tampering
 * (docs/hsm-cluster.md). The `strongroom-hsm node` command runs this in its own process.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import { openAuditLog } from './audit';
import { writeBackupFile, type RetentionPolicy } from './backup';
import { createEngine, type Engine } from './engine';
import { startPeerSync, type PeerSync } from './peer-sync';
import { TamperError } from './sealed-file';
import { startServer, type TlsMaterial } from './server';
import { createShaper, type ShapingConfig } from './shaping';
import {
  createStateStore, DEFAULT_LIMITS, isTamperMarked, loadStateFile, markTampered, readIdentity, STATE_FILE, unsealState,
  type NodeStateData, type StateStore,
} from './state';
import { resolveUnsealKey } from './unseal';

/** Options of {@link runNode}: data directory, address, peers, unseal secret, shaping, timers, backup retention. */
export interface RunNodeOptions {
  dataDir: string;
  /** The address to listen on (IPv4 or IPv6 literal, default 127.0.0.1); its certificate must name it (node-dir.ts). */
  host?: string;
  /** 0 = ephemeral. */
  port?: number;
  /** Peers' URLs for server-side sync. */
  peers?: string[];
  shaping?: ShapingConfig;
  /** How often each peer is polled for objects this node lacks (ms, default 2000, at least {@link MIN_SYNC_INTERVAL_MS}). */
  syncIntervalMs?: number;
  auditFlushMs?: number;
  tamperCheckMs?: number;
  backupRetention?: RetentionPolicy;
  /** The node's external unseal secret (unseal.ts); default: STRONGROOM_HSM_UNSEAL_SECRET, else the key file. */
  unsealSecret?: string;
  /** How often a newer durable audit head is sealed into the state (default 1000 ms). */
  auditHeadMs?: number;
}

/** A node serving in this process. */
export interface RunningNode {
  nodeId: string;
  az: string;
  port: number;
  url: string;
  state: 'ACTIVE' | 'TAMPERED';
  engine: Engine;
  /** Stop serving and close the node's files. */
  close(): Promise<void>;
}

export function readTls(dataDir: string): TlsMaterial {
  return {
    caPem: readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8'),
    certPem: readFileSync(join(dataDir, 'tls', 'node.crt'), 'utf8'),
    keyPem: readFileSync(join(dataDir, 'tls', 'node.key'), 'utf8'),
  };
}

/** `tls://HOST:PORT` for a listening address; a wildcard bind is reported as loopback, IPv6 in brackets (RFC 3986 §3.2.2). */
export function nodeUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `tls://${isIP(h) === 6 ? `[${h}]` : h}:${port}`;
}

/** The shortest sync poll interval a node accepts: below it a node spends its time polling (setInterval runs a 0 or NaN interval every 1 ms). */
export const MIN_SYNC_INTERVAL_MS = 50;

/** @throws StrongroomError IO_ERROR when the data directory is not an initialized node; INVALID_ARGUMENT for a `syncIntervalMs` below {@link MIN_SYNC_INTERVAL_MS}. */
export async function runNode(options: RunNodeOptions): Promise<RunningNode> {
  const { dataDir } = options;
  const syncMs = options.syncIntervalMs;
  if (syncMs !== undefined && !(Number.isInteger(syncMs) && syncMs >= MIN_SYNC_INTERVAL_MS)) {
    throw new StrongroomError('INVALID_ARGUMENT', `syncIntervalMs must be a whole number of milliseconds ≥ ${MIN_SYNC_INTERVAL_MS} (got ${syncMs})`);
  }
  if (!existsSync(join(dataDir, 'node.json'))) throw new StrongroomError('IO_ERROR', `${dataDir} is not an hsm-local node directory (run strongroom-hsm init)`);
  const identity = readIdentity(dataDir);
  const creds = readTls(dataDir);
  const unsealKey = resolveUnsealKey(dataDir, identity, options.unsealSecret);

  let data: NodeStateData | undefined;
  let tamperReason: string | undefined;
  if (isTamperMarked(dataDir)) tamperReason = 'node was left in the TAMPERED state; restore it from a backup';
  else if (!existsSync(join(dataDir, STATE_FILE))) tamperReason = 'sealed state file is missing';
  else {
    try {
      data = loadStateFile(dataDir, unsealKey, identity);
    } catch (e) {
      if (!(e instanceof TamperError)) throw e;
      tamperReason = e.message;
    }
  }
  const empty: NodeStateData = {
    format: 1, nodeId: identity.nodeId, rebootCounter: 0, objects: {},
    cluster: { clusterId: identity.clusterId, maskingKey: Buffer.alloc(32), backupKey: Buffer.alloc(32), limits: DEFAULT_LIMITS },
  };
  const state = data ?? empty;
  if (data) state.rebootCounter += 1;
  const auditPath = join(dataDir, 'audit.log');
  if (data && !data.audit) {
    // A state from before keyed audit logs: start a keyed log, keep the old one beside it.
    data.audit = { key: randomBytes(32), head: null };
    if (existsSync(auditPath)) renameSync(auditPath, `${auditPath}.unkeyed-${Date.now()}`);
  }
  const store: StateStore = createStateStore(dataDir, unsealKey, state);
  if (data) await store.persist();
  const sealedAudit = data?.audit;
  const audit = openAuditLog(auditPath, {
    node: identity.nodeId,
    reboot: state.rebootCounter,
    key: sealedAudit?.key,
    head: sealedAudit?.head,
    onDurable: (head) => {
      if (sealedAudit && !engine.tampered && (!sealedAudit.head || head.seq > sealedAudit.head.seq)) sealedAudit.head = head;
    },
  }, options.auditFlushMs ?? 50);
  let sealedHeadSeq = sealedAudit?.head?.seq ?? 0;
  async function sealAuditHead(): Promise<void> {
    if (!sealedAudit || engine.tampered || audit.lastSeq <= sealedHeadSeq) return;
    await audit.sync();
    if ((sealedAudit.head?.seq ?? 0) > sealedHeadSeq) {
      sealedHeadSeq = sealedAudit.head!.seq;
      await store.persist();
    }
  }
  let sync: PeerSync | undefined;
  const engine = createEngine({
    identity,
    store,
    audit,
    shaper: createShaper(options.shaping),
    peerStatus: () => sync?.status() ?? [],
    pushToPeers: async (objs) => (sync ? sync.push(objs) : 0),
    createBackup: async () => {
      const createdAt = Date.now();
      const path = await writeBackupFile(
        join(dataDir, 'backups'),
        state.cluster.backupKey,
        { format: 1, clusterId: identity.clusterId, sourceNodeId: identity.nodeId, createdAt, objects: Object.keys(state.objects).length },
        { cluster: state.cluster, objects: state.objects },
        options.backupRetention,
      );
      return { path, createdAt };
    },
  });

  function enterTamper(reason: string): void {
    if (engine.tampered) return;
    markTampered(dataDir, reason);
    const path = join(dataDir, STATE_FILE);
    if (existsSync(path)) renameSync(path, `${path}.tampered-${Date.now()}`);
    engine.tamper(reason);
    void audit.flush();
  }
  if (tamperReason) {
    engine.tamper(tamperReason);
    markTampered(dataDir, tamperReason);
  }
  audit.append({ op: 'node.start', response: tamperReason ? 'ERROR:TAMPERED' : 'SUCCESS', detail: { reboot: state.rebootCounter, az: identity.az } });
  // Seal the head at once: a cut found at start-up (audit.truncated) is then recorded durably, and the
  // next start compares against the new head instead of reporting the same cut again.
  await sealAuditHead();

  // Tamper watch: the sealed file on disk must always authenticate (atomic renames mean a reader
  // sees the old or the new file, never a partial one).
  const watch = setInterval(() => {
    if (engine.tampered) return;
    try {
      unsealState(unsealKey, identity, readFileSync(join(dataDir, STATE_FILE)));
    } catch (e) {
      enterTamper(e instanceof TamperError ? e.message : `sealed state unreadable: ${(e as Error).message}`);
    }
  }, options.tamperCheckMs ?? 1000);
  watch.unref();
  // Seal the durable audit head regularly, so that dropping records from the end of the log shows.
  let sealingHead = false;
  const headTimer = setInterval(() => {
    if (sealingHead) return;
    sealingHead = true;
    void sealAuditHead().catch(() => undefined).finally(() => (sealingHead = false));
  }, options.auditHeadMs ?? 1000);
  headTimer.unref();

  const host = options.host ?? '127.0.0.1';
  const server = await startServer(engine, creds, {
    host,
    port: options.port ?? 0,
    maxConnections: state.cluster.limits.maxConnectionsPerNode,
    audit,
  });
  if (!engine.tampered && options.peers?.length) {
    sync = startPeerSync(engine, () => state.cluster.maskingKey, options.peers, creds, options.syncIntervalMs ?? 2000);
  }
  return {
    nodeId: identity.nodeId,
    az: identity.az,
    port: server.port,
    url: nodeUrl(host, server.port),
    get state() {
      return engine.tampered ? 'TAMPERED' : 'ACTIVE';
    },
    engine,
    async close() {
      clearInterval(watch);
      clearInterval(headTimer);
      sync?.stop();
      await server.close();
      await audit.close();
      if (!engine.tampered) await store.persist().catch(() => undefined);
    },
  } as RunningNode;
}
