/**
 * An operator with disk access (CloudHSM backups: https://docs.aws.amazon.com/cloudhsm/latest/userguide/backups.html):
 * a backup file together with every file of the cluster directory and a copy of a node's data
 * directory must not yield key material when the node's unseal secret lives outside that directory;
 * a backup restores only into a node of its own cluster, with a donor node's sealed state.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNodeFromBackup, connectHsmNode, decodeBackup, deriveUnsealKey, initCluster, startHsmNode, type ClusterInfo } from '../src/index';
import { unsealState } from '../src/state';
import { freePort } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'hsm-vault-'));
const SECRET = 'vault-test-unseal-secret-0123456789';
let info: ClusterInfo;
let other: ClusterInfo;
let backupFile: string;
let keyHandle: string;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f)).filter((f) => statSync(f).isFile());
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (StrongroomError.isInstance(e)) return e.code;
    throw e;
  }
  return 'OK';
}

beforeAll(async () => {
  info = await initCluster({ dir: join(tmp, 'cluster'), nodes: [{ az: 'az-a' }, { az: 'az-b' }], initialAdminPassword: 'initial-pw-1', unsealSecret: SECRET });
  other = await initCluster({ dir: join(tmp, 'other'), nodes: [{ az: 'az-a' }], initialAdminPassword: 'initial-pw-1', unsealSecret: SECRET });
  const node = await startHsmNode({ dataDir: info.nodes[0]!.dataDir, port: await freePort(), unsealSecret: SECRET });
  try {
    const conn = await connectHsmNode({ url: node.url, trustAnchor: info.trustAnchor, clientCert: info.clientCert });
    await conn.call('login', { user: 'admin', password: 'initial-pw-1' });
    await conn.call('user.changePassword', { newPassword: 'admin-pass-1' });
    await conn.call('user.create', { user: 'app', role: 'crypto-user', password: 'app-pass-123' });
    const app = await connectHsmNode({ url: node.url, trustAnchor: info.trustAnchor, clientCert: info.clientCert });
    await app.call('login', { user: 'app', password: 'app-pass-123' });
    keyHandle = (await app.callUnchecked<{ key: { handle: string } }>('key.generate', { type: 'aes', bits: 256, template: { label: 'kek', extractable: false } })).key.handle;
    app.close();
    backupFile = (await conn.call('backup.create', {})).path;
    conn.close();
  } finally {
    await node.stop();
  }
}, 60_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('an operator with disk access', () => {
  it('no backup.key and no unseal.key are written when the unseal secret is external', () => {
    expect(existsSync(join(info.dir, 'backup.key'))).toBe(false);
    for (const n of info.nodes) expect(existsSync(join(n.dataDir, 'unseal.key'))).toBe(false);
  });

  it('cannot open a backup or a sealed state with any file of the cluster directory or of a copied node directory', () => {
    const copy = join(tmp, 'stolen');
    cpSync(info.nodes[0]!.dataDir, copy, { recursive: true });
    const identity = JSON.parse(readFileSync(join(copy, 'node.json'), 'utf8')) as { nodeId: string; clusterId: string; az: string };
    const sealed = readFileSync(join(copy, 'state.sealed'));
    const blob = readFileSync(backupFile);
    const candidates = [...filesUnder(info.dir), ...filesUnder(copy)].filter((f) => !f.endsWith('.hsmbackup'));
    expect(candidates.length).toBeGreaterThan(5);
    const opened = candidates.filter((f) => {
      const bytes = readFileSync(f);
      // Each file as a raw key, and as the unseal secret through the node's own derivation.
      const keys = [bytes, bytes.subarray(0, 32), ...(bytes.length >= 16 && bytes.length < 4096 ? [deriveUnsealKey(bytes.toString('utf8'), identity)] : [])];
      return keys.some((key) => {
        try {
          decodeBackup(key, blob);
          return true;
        } catch {
          /* not the backup key */
        }
        try {
          unsealState(key, identity, sealed);
          return true;
        } catch {
          return false;
        }
      });
    });
    expect(opened).toEqual([]);
    // The node's own secret opens it: the test can tell success from failure.
    expect(unsealState(deriveUnsealKey(SECRET, identity), identity, sealed).objects[`k:${keyHandle}`]).toBeDefined();
  }, 180_000); // one scrypt derivation per candidate file

  it('a backup restores with a donor of its own cluster, never into or through another cluster', () => {
    const restored = addNodeFromBackup({ clusterDir: info.dir, dataDir: join(tmp, 'n3'), backupFile, donorDataDir: info.nodes[1]!.dataDir, az: 'az-c', unsealSecret: SECRET, donorUnsealSecret: SECRET });
    const id = JSON.parse(readFileSync(join(tmp, 'n3', 'node.json'), 'utf8')) as { nodeId: string; clusterId: string; az: string; unseal: 'external' };
    expect(id).toMatchObject({ nodeId: restored.nodeId, clusterId: info.clusterId, unseal: 'external' });
    const state = unsealState(deriveUnsealKey(SECRET, id), id, readFileSync(join(tmp, 'n3', 'state.sealed')));
    expect(state.objects[`k:${keyHandle}`]).toBeDefined();
    // Donor of another cluster: its backup key does not authenticate this backup.
    expect(code(() => addNodeFromBackup({ clusterDir: other.dir, dataDir: join(tmp, 'x1'), backupFile, donorDataDir: other.nodes[0]!.dataDir, donorUnsealSecret: SECRET, az: 'az-x', unsealSecret: SECRET }))).toBe('AUTHENTICATION_FAILED');
    // Into an existing node of another cluster, even with a valid donor.
    expect(code(() => addNodeFromBackup({ clusterDir: info.dir, dataDir: other.nodes[0]!.dataDir, backupFile, donorDataDir: info.nodes[1]!.dataDir, donorUnsealSecret: SECRET, unsealSecret: SECRET }))).toBe('INVALID_ARGUMENT');
    // Without the donor's unseal secret nothing opens.
    const saved = process.env.STRONGROOM_HSM_UNSEAL_SECRET;
    delete process.env.STRONGROOM_HSM_UNSEAL_SECRET;
    try {
      expect(code(() => addNodeFromBackup({ clusterDir: info.dir, dataDir: join(tmp, 'x2'), backupFile, donorDataDir: info.nodes[1]!.dataDir, az: 'az-x' }))).toBe('INVALID_ARGUMENT');
    } finally {
      if (saved !== undefined) process.env.STRONGROOM_HSM_UNSEAL_SECRET = saved;
    }
    // One flipped bit in the backup, opened with the real backup key.
    const backupKey = state.cluster.backupKey;
    expect(decodeBackup(backupKey, readFileSync(backupFile)).header.clusterId).toBe(info.clusterId);
    const bad = readFileSync(backupFile);
    bad[bad.length - 30]! ^= 1;
    expect(code(() => decodeBackup(backupKey, bad))).toBe('AUTHENTICATION_FAILED');
  }, 120_000);

  it('a node with an external secret refuses to start without it', async () => {
    const saved = process.env.STRONGROOM_HSM_UNSEAL_SECRET;
    delete process.env.STRONGROOM_HSM_UNSEAL_SECRET;
    try {
      const err = await startHsmNode({ dataDir: info.nodes[1]!.dataDir, port: await freePort() }).then(() => 'started', (e: Error) => e.message);
      expect(err).toMatch(/external unseal secret/);
    } finally {
      if (saved !== undefined) process.env.STRONGROOM_HSM_UNSEAL_SECRET = saved;
    }
  });
});
