/**
 * Server-side synchronization (CloudHSM "periodically clones keys to every HSM in the cluster":
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-key-sync.html): each node pulls from each peer — compare the (object id, version) digest lists, fetch
 * newer masked objects, unmask, merge (higher version wins; deletions are versioned tombstones so a
 * returning node cannot resurrect a deleted key). A node that was down, or was restored from an older
 * backup, converges without operator action. Peers authenticate with their node certificates.
 */
import { connectHsmNode, type HsmNodeConnection, type SyncPeerStatus } from '@strongroom/hsm-protocol';
import type { Engine } from './engine';
import { asMaskedObject, unmaskObject, type MaskedObject } from './masked';
import type { TlsMaterial } from './server';

export interface PeerSync {
  status(): SyncPeerStatus[];
  /** Send masked objects to every peer now (`sync.import` as this node); resolves with how many peers took all of them. */
  push(objs: MaskedObject[]): Promise<number>;
  syncNow(): Promise<void>;
  stop(): void;
}

export function startPeerSync(engine: Engine, maskingKey: () => Buffer, peers: string[], creds: TlsMaterial, intervalMs: number): PeerSync {
  const state = new Map<string, SyncPeerStatus & { conn?: HsmNodeConnection | undefined }>();
  for (const url of peers) state.set(url, { url, ok: false, lastSyncAt: null, lastError: null, pulled: 0 });
  let stopped = false;
  let running: Promise<void> | null = null;

  async function connection(st: SyncPeerStatus & { conn?: HsmNodeConnection | undefined }): Promise<HsmNodeConnection> {
    if (!st.conn || st.conn.closed) {
      st.conn = await connectHsmNode({ url: st.url, trustAnchor: creds.caPem, clientCert: { certPem: creds.certPem, keyPem: creds.keyPem }, connectTimeoutMs: 1000 });
    }
    return st.conn;
  }

  async function pushTo(url: string, objs: MaskedObject[]): Promise<boolean> {
    const st = state.get(url)!;
    try {
      const conn = await connection(st);
      for (const m of objs) await conn.call('sync.import', { masked: m }, { timeoutMs: 2000 });
      return true;
    } catch {
      // The peer catches up through its own pulls.
      return false;
    }
  }

  async function syncPeer(url: string): Promise<void> {
    const st = state.get(url)!;
    try {
      const conn = await connection(st);
      // Cheap check first: equal digests mean nothing to pull.
      const st0 = await conn.call('status', {}, { timeoutMs: 5000 });
      if (st0.state !== 'ACTIVE') throw new Error(`peer is ${st0.state}`);
      if (st0.digest === engine.digestHash()) {
        st.ok = true;
        st.lastError = null;
        st.lastSyncAt = Date.now();
        return;
      }
      const remote = await conn.call('sync.digest', {}, { timeoutMs: 5000 });
      const local = new Map(engine.digestList());
      const want = remote.filter(([id, v]) => (local.get(id) ?? -1) < v).map(([id]) => id);
      for (let i = 0; i < want.length && !stopped; i += 200) {
        const batch = await conn.call('sync.get', { ids: want.slice(i, i + 200) }, { timeoutMs: 10_000 });
        const objs = batch.map((m) => unmaskObject(maskingKey(), asMaskedObject(m)));
        st.pulled += await engine.mergeObjects(objs);
      }
      st.ok = true;
      st.lastError = null;
      st.lastSyncAt = Date.now();
    } catch (e) {
      st.ok = false;
      st.lastError = (e as Error).message;
      st.conn?.close();
      st.conn = undefined;
    }
  }

  async function round(): Promise<void> {
    if (engine.tampered) return;
    await Promise.all(peers.map((p) => syncPeer(p)));
  }

  const timer = setInterval(() => {
    if (!running && !stopped) running = round().finally(() => (running = null));
  }, intervalMs);
  timer.unref();
  if (peers.length) running = round().finally(() => (running = null));

  return {
    async push(objs) {
      if (stopped || objs.length === 0) return 0;
      const ok = await Promise.all(peers.map((p) => pushTo(p, objs)));
      return ok.filter(Boolean).length;
    },
    status: () => [...state.values()].map(({ url, ok, lastSyncAt, lastError, pulled }) => ({ url, ok, lastSyncAt, lastError, pulled })),
    async syncNow() {
      if (running) await running;
      await round();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      for (const s of state.values()) s.conn?.close();
    },
  };
}
