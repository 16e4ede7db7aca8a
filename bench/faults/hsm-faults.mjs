/**
 * HSM fault run (issue 9): mixed load on a real 3-node hsm-local cluster — key creations, shares with
 * a second crypto user, deletions and AES-GCM crypto — while a seeded random schedule SIGKILLs one
 * node at a time at random points and restarts it. Every acknowledged write is recorded; afterwards
 * every node is restarted and each one is checked on its own (direct node connection, no client-side
 * failover): every acknowledged key exists there, every acknowledged share is visible to the second
 * user there, every acknowledged delete stays deleted, the node's sealed state file authenticated on
 * start (state ACTIVE, not TAMPERED), and all nodes report the same object digest.
 *
 * Shared by the CI test (test/reliability/hsm-faults.test.ts, ~20 s) and bench/faults (60 s).
 * Plain ESM so that `node bench/faults/run.mjs` runs it against the built packages.
 */
import { randomBytes } from 'node:crypto';
import { StrongroomError } from '@strongroom/core';
import { connectHsmNode } from '@strongroom/hsm-protocol';
import { connectHsmCluster } from '@strongroom/provider-hsm';
import { seededRandom, startHsmCluster } from '@strongroom/testing/servers';

/** Seeded draws (numbers, ints, picks), so a failing schedule can be replayed with the same seed. */
export function prng(seed) {
  const next = seededRandom(seed);
  return { next, int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), pick: (xs) => xs[Math.floor(next() * xs.length)] };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(fn, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(150);
  }
}

async function nodeSession(cluster, i, user) {
  const conn = await connectHsmNode({ url: cluster.urls[i], trustAnchor: cluster.info.trustAnchor, clientCert: cluster.info.clientCert });
  await conn.call('login', user);
  return conn;
}

/**
 * @param {{ durationMs?: number, seed?: number, workers?: number, log?: (line: string) => void }} [options]
 * @returns {Promise<{ seed: number, durationMs: number, kills: number, restarts: number, ops: Record<string, { ok: number, failed: number }>,
 *   failureCodes: Record<string, number>, untypedFailures: string[], acked: { creates: number, shares: number, deletes: number },
 *   checks: number, lost: string[], nodeStates: string[], digestsEqual: boolean }>}
 */
export async function runHsmFaults(options = {}) {
  const durationMs = options.durationMs ?? 15_000;
  const seed = options.seed ?? Date.now() % 1_000_000;
  const log = options.log ?? (() => {});
  const rnd = prng(seed);
  const bob = { user: 'bob', password: 'bob-password-1' };
  const cluster = await startHsmCluster({ extraCryptoUsers: [bob], syncIntervalMs: 200 });
  const app = cluster.cryptoUser;
  const result = {
    seed, durationMs, kills: 0, restarts: 0,
    ops: { create: { ok: 0, failed: 0 }, share: { ok: 0, failed: 0 }, delete: { ok: 0, failed: 0 }, crypto: { ok: 0, failed: 0 } },
    failureCodes: {}, untypedFailures: [], acked: { creates: 0, shares: 0, deletes: 0 }, checks: 0, lost: [], nodeStates: [], digestsEqual: false,
  };
  const hsm = await connectHsmCluster({
    nodes: cluster.urls.map((url, i) => ({ url, az: cluster.azs[i] })),
    trustAnchor: cluster.info.trustAnchor, clientCert: cluster.info.clientCert, user: app.user, password: app.password,
    failoverTimeoutMs: 5_000,
  });
  /** handle → { ref, shared, deleted } for every acknowledged creation. */
  const acked = new Map();
  /** keys free for the next operation (each key is used by one operation at a time). */
  const pool = [];
  const direct = [undefined, undefined, undefined];
  let stop = false;

  function fail(kind, e) {
    result.ops[kind].failed++;
    const code = StrongroomError.isInstance(e) ? `${e.code}${e.details?.reason ? `/${e.details.reason}` : ''}` : 'UNTYPED';
    result.failureCodes[code] = (result.failureCodes[code] ?? 0) + 1;
    if (!StrongroomError.isInstance(e) && result.untypedFailures.length < 5) result.untypedFailures.push(String(e?.stack ?? e));
  }

  async function share(handle) {
    // key.share is not part of the HsmBackend seam: send it to a node directly, trying each in turn.
    const order = [0, 1, 2].sort(() => rnd.next() - 0.5);
    let last;
    for (const i of order) {
      try {
        direct[i] ??= nodeSession(cluster, i, app);
        const conn = await direct[i];
        await conn.call('key.share', { handle, user: bob.user }, { timeoutMs: 3_000 });
        return;
      } catch (e) {
        direct[i] = undefined;
        last = e;
      }
    }
    throw last;
  }

  let labels = 0;
  async function worker() {
    while (!stop) {
      const r = rnd.next();
      const key = pool.length && r >= 0.25 ? pool.splice(rnd.int(0, pool.length - 1), 1)[0] : undefined;
      if (!key) {
        try {
          const ref = await hsm.generateAesKey({ label: `fault-${seed}-${labels++}`, bits: 256 });
          acked.set(ref.handle, { ref, shared: false, deleted: false });
          pool.push(ref.handle);
          result.ops.create.ok++;
        } catch (e) {
          fail('create', e);
        }
        continue;
      }
      const k = acked.get(key);
      if (r < 0.4 && !k.shared) {
        try {
          await share(key);
          k.shared = true;
          result.ops.share.ok++;
        } catch (e) {
          fail('share', e);
        }
        pool.push(key);
      } else if (r < 0.55 || pool.length > 60) {
        try {
          await hsm.deleteKey(k.ref);
          k.deleted = true;
          result.ops.delete.ok++;
        } catch (e) {
          fail('delete', e);
          k.uncertain = true; // may or may not have been applied: checked neither way
        }
      } else {
        try {
          const aad = randomBytes(8);
          const pt = randomBytes(32);
          const enc = await hsm.aesGcmEncrypt(k.ref, pt, aad);
          const back = await hsm.aesGcmDecrypt(k.ref, { ...enc, aad });
          if (!Buffer.from(back).equals(pt)) throw new Error('AES-GCM round trip returned other bytes');
          result.ops.crypto.ok++;
        } catch (e) {
          fail('crypto', e);
        }
        pool.push(key);
      }
    }
  }

  async function faults() {
    while (!stop) {
      await sleep(rnd.int(300, 1_500));
      if (stop) break;
      const i = rnd.int(0, 2);
      await cluster.kill(i);
      result.kills++;
      log(`  SIGKILL node ${i} (${cluster.azs[i]})`);
      await sleep(rnd.int(100, 1_200));
      await cluster.start(i);
      result.restarts++;
    }
  }

  const started = Date.now();
  try {
    const done = Promise.all([faults(), ...Array.from({ length: options.workers ?? 8 }, worker)]);
    await sleep(durationMs);
    stop = true;
    await done;
    log(`  load stopped after ${((Date.now() - started) / 1000).toFixed(1)} s; restarting every node`);
    for (const d of direct) await d?.then((c) => c.close(), () => {});
    await hsm.close();

    // Restart every node from its files: a torn or unauthenticated state file would show as TAMPERED.
    for (let i = 0; i < 3; i++) {
      await cluster.kill(i);
      result.nodeStates[i] = (await cluster.start(i)).state;
    }
    const sessions = await Promise.all([0, 1, 2].map((i) => nodeSession(cluster, i, app)));
    const bobSessions = await Promise.all([0, 1, 2].map((i) => nodeSession(cluster, i, bob)));
    try {
      await until(async () => {
        const s = await Promise.all(sessions.map((c) => c.call('status', {})));
        return new Set(s.map((x) => x.digest)).size === 1;
      }, 30_000, 'the three nodes to converge');
      result.digestsEqual = true;
      // Per node, per acknowledged write — on that node alone.
      for (let i = 0; i < 3; i++) {
        for (const [handle, k] of acked) {
          if (k.uncertain) continue;
          const mine = await sessions[i].call('key.find', { handle });
          result.checks++;
          if (k.deleted) {
            if (mine.length !== 0) result.lost.push(`node ${i}: acknowledged delete of ${handle} undone`);
            continue;
          }
          if (mine.length !== 1) result.lost.push(`node ${i}: acknowledged key ${handle} missing`);
          if (k.shared) {
            const theirs = await bobSessions[i].call('key.find', { handle, includeShared: true });
            result.checks++;
            if (theirs.length !== 1) result.lost.push(`node ${i}: acknowledged share of ${handle} with bob missing`);
          }
        }
      }
    } finally {
      for (const c of [...sessions, ...bobSessions]) c.close();
    }
    for (const k of acked.values()) {
      result.acked.creates++;
      if (k.shared && !k.uncertain) result.acked.shares++;
      if (k.deleted) result.acked.deletes++;
    }
  } finally {
    stop = true;
    await cluster.stopAll();
  }
  return result;
}
