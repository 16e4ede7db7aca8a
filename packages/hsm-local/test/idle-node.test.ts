/**
 * An idle cluster stays still. Server-side sync polls every peer's `status` every `--sync-interval-ms`
 * (here 200 ms). When those polls were audit records, every poll advanced the audit head, and the node
 * sealed the new head into its state: an idle node rewrote and fsynced its whole sealed state every
 * second or two, forever (and its log grew by a record per poll). Successful `status` calls by peer
 * nodes are no longer logged; a client's `status`, and every other operation, still are.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHsmNode, loadCertificateAuthority, wire } from '../src/index';
import { startTestCluster, type TestCluster } from './helpers';

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster({ syncIntervalMs: 200 });
  const first = await c.login(0, 'admin', 'initial-pw-1'); // activation: the first login must change the password
  await first.call('user.changePassword', { newPassword: 'idle-admin-pw-2' });
});
afterAll(async () => {
  await c?.stopAll();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dataDir = (i: number) => c.info.nodes[i]!.dataDir;
const auditRecords = (i: number) =>
  readFileSync(join(dataDir(i), 'audit.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { seq: number; op: string; user?: string });
const stateWritten = (i: number) => statSync(join(dataDir(i), 'state.sealed')).mtimeMs;

/** The peers' last successful sync times, as node 0's admin sees them. */
async function lastSyncs(): Promise<number[]> {
  const conn = await c.login(0, 'admin', 'idle-admin-pw-2');
  const s = await conn.call('status', {});
  return (s.peers ?? []).map((p) => p.lastSyncAt ?? 0);
}

describe('an idle cluster', () => {
  it('neither grows its audit logs nor rewrites its sealed states, while sync keeps polling', async () => {
    await sleep(1500); // start-up records flushed and their head sealed
    const syncedBefore = await lastSyncs();
    await sleep(1500); // the admin's records above, sealed
    const before = [0, 1, 2].map((i) => ({ seq: auditRecords(i).at(-1)!.seq, written: stateWritten(i) }));
    await sleep(2500); // ≥ 10 poll rounds per peer, ≥ 2 head-sealing periods
    const after = [0, 1, 2].map((i) => ({ seq: auditRecords(i).at(-1)!.seq, written: stateWritten(i) }));
    const syncedAfter = await lastSyncs();
    // Sync did poll during the window: node 0's peers both synced again.
    for (const [k, t] of syncedAfter.entries()) expect(t).toBeGreaterThan(syncedBefore[k]!);
    // Node 0 wrote the records of the admin's status check after the window; nodes 1 and 2 nothing.
    expect(after.slice(1)).toEqual(before.slice(1));
    expect(after[0]!.written).toBe(before[0]!.written);
  }, 60_000);

  it("still logs a client's status call", async () => {
    const conn = await c.connect(1);
    const seq = auditRecords(1).at(-1)!.seq;
    await conn.call('status', {});
    await sleep(300); // records are flushed every 50 ms
    const added = auditRecords(1).filter((r) => r.seq > seq);
    expect(added.map((r) => r.op)).toContain('status');
    expect(added.some((r) => r.op === 'status' && r.user?.startsWith('node:'))).toBe(false);
  }, 60_000);

  it("spares only a peer's successful status: its other calls, refused ones and unknown names are logged", async () => {
    const ca = loadCertificateAuthority(readFileSync(join(c.info.dir, 'ca.crt'), 'utf8'), readFileSync(join(c.info.dir, 'ca.key'), 'utf8'));
    const peer = ca.issue('node:peer-test', 'server+client', { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const conn = await connectHsmNode({ url: c.urls[2]!, trustAnchor: c.info.trustAnchor, clientCert: { certPem: peer.certPem, keyPem: peer.keyPem } });
    const seq = auditRecords(2).at(-1)!.seq;
    await conn.call('status', {});
    await conn.call('sync.digest', {});
    await expect(conn.call('user.list', {})).rejects.toMatchObject({ code: 'ACCESS_DENIED' }); // a node is no user
    // Names that are no operation, whatever the prototype has under them.
    for (const op of ['__proto__', 'constructor', 'hasOwnProperty']) {
      await expect((conn as unknown as { call(op: string, args: wire.WireValue): Promise<unknown> }).call(op, {})).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    }
    await sleep(300);
    const added = auditRecords(2).filter((r) => r.seq > seq);
    expect(added.map((r) => [r.op, r.user])).toEqual([
      ['sync.digest', 'node:peer-test'],
      ['user.list', 'node:peer-test'],
      ['__proto__', 'node:peer-test'],
      ['constructor', 'node:peer-test'],
      ['hasOwnProperty', 'node:peer-test'],
    ]);
  }, 60_000);
});
