/**
 * Attacks on login and replication: pipelined password guesses racing the lockout (CloudHSM locks a
 * user after repeated failures: https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-hsm-users.html),
 * and a user session importing a forged replicated object (replication is for nodes only:
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-key-sync.html).
 */
import { randomInt } from 'node:crypto';
import { StrongroomError } from '@strongroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHsmNode, type HsmNodeConnection } from '../../src/index';
import { maskObject } from '../../src/masked';
import { loadStateFile, readIdentity, type UserObject } from '../../src/state';
import { resolveUnsealKey } from '../../src/unseal';
import { eventually } from '../helpers';
import { PW, reason, startSecurityCluster, type SecurityCluster } from './setup';

let s: SecurityCluster;
const THRESHOLD = 5;

beforeAll(async () => {
  s = await startSecurityCluster();
  for (const user of ['guess1', 'guess2']) await s.admin[0]!.callUnchecked('user.create', { user, role: 'crypto-user', password: `${user}-right-pw` });
  await eventually(async () => (await s.admin[2]!.callUnchecked<Array<{ user: string }>>('user.list')).some((u) => u.user === 'guess2'));
}, 120_000);

afterAll(async () => {
  await s?.c.stopAll();
});

/** Outcome of one login attempt: 'OK' or the refusal reason. */
async function attempt(conn: HsmNodeConnection, user: string, password: string): Promise<string> {
  try {
    await conn.callUnchecked('login', { user, password });
    return 'OK';
  } catch (e) {
    if (!StrongroomError.isInstance(e)) throw e;
    return String(e.details?.reason ?? e.code);
  }
}

/**
 * 200 guesses, the right password at a random position from `first` on: a position at which at least
 * THRESHOLD wrong guesses reach the node before it, whatever the order the connections' requests
 * interleave in (each connection keeps its own order, nothing orders one against another).
 */
function guesses(user: string, first: number): string[] {
  const right = randomInt(first, 200);
  return Array.from({ length: 200 }, (_, i) => (i === right ? `${user}-right-pw` : `wrong-guess-${i}`));
}

describe('login lockout under pipelined guesses', () => {
  it('200 pipelined guesses on one connection: exactly the threshold is evaluated, then every guess is refused as locked', { timeout: 180_000 }, async () => {
    const conn = await s.c.connect(0);
    const got = await Promise.all(guesses('guess1', THRESHOLD).map((pw) => attempt(conn, 'guess1', pw)));
    expect(got.filter((r) => r === 'OK')).toEqual([]);
    expect(got.slice(0, THRESHOLD - 1)).toEqual(Array(THRESHOLD - 1).fill('LOGIN_FAILED'));
    expect(got.slice(THRESHOLD - 1)).toEqual(Array(200 - THRESHOLD + 1).fill('USER_LOCKED'));
  });

  it('200 guesses spread over 4 connections to one node: no success, at most the threshold evaluated', { timeout: 180_000 }, async () => {
    const conns = await Promise.all([0, 1, 2, 3].map(() => s.c.connect(1)));
    // Guess i goes on connection i % 4, after i / 4 guesses of its own connection: from position
    // 4 × THRESHOLD on, THRESHOLD of them precede it even if the other connections' guesses all
    // arrive later (a right guess among the first THRESHOLD to arrive rightly succeeds).
    const got = await Promise.all(guesses('guess2', 4 * THRESHOLD).map((pw, i) => attempt(conns[i % 4]!, 'guess2', pw)));
    expect(got.filter((r) => r === 'OK')).toEqual([]);
    expect(got.filter((r) => r === 'LOGIN_FAILED')).toHaveLength(THRESHOLD - 1);
    expect(got.filter((r) => r === 'USER_LOCKED')).toHaveLength(200 - THRESHOLD + 1);
    // The lock replicates: the right password is refused on another node too.
    await eventually(async () => (await attempt(await s.c.connect(2), 'guess2', 'guess2-right-pw')) === 'USER_LOCKED');
  });
});

describe('replication is for node identities only', () => {
  it('a crypto user cannot import a masked user object, even one that authenticates under the masking key', async () => {
    const alice = await s.c.login(0, 'alice', PW.alice!);
    // The attacker's best case: a validly masked object (here masked with the real key, read from a node's disk).
    const dir = s.c.info.nodes[0]!.dataDir;
    const identity = readIdentity(dir);
    const state = loadStateFile(dir, resolveUnsealKey(dir, identity), identity);
    const me = state.objects['u:alice'] as UserObject;
    const forged: UserObject = { ...me, role: 'admin', version: me.version + 1_000_000_000 };
    const masked = maskObject(state.cluster.maskingKey, forged);
    expect(await reason(alice.callUnchecked('sync.import', { masked: masked as never }))).toBe('ACCESS_DENIED:NODE_ONLY');
    expect(await reason(s.admin[0]!.callUnchecked('sync.import', { masked: masked as never }))).toBe('ACCESS_DENIED:NODE_ONLY');
    const again = await s.c.connect(0);
    expect((await again.callUnchecked<{ role: string }>('login', { user: 'alice', password: PW.alice! })).role).toBe('crypto-user');
  });

  it('every sync operation refuses user sessions of any role; a node certificate is served', async () => {
    const alice = await s.c.login(1, 'alice', PW.alice!);
    for (const conn of [alice, s.admin[1]!]) {
      for (const [op, args] of [['sync.export', { id: 'u:admin' }], ['sync.digest', {}], ['sync.has', { ids: ['u:admin'] }], ['sync.get', { ids: ['u:admin'] }]] as const) {
        expect(await reason(conn.callUnchecked(op, args as never))).toBe('ACCESS_DENIED:NODE_ONLY');
      }
    }
    const dir = s.c.info.nodes[0]!.dataDir;
    const { readTls } = await import('../../src/node');
    const tls = readTls(dir);
    const peer = await connectHsmNode({ url: s.c.urls[1]!, trustAnchor: tls.caPem, clientCert: { certPem: tls.certPem, keyPem: tls.keyPem } });
    try {
      expect((await peer.call('sync.has', { ids: ['u:admin'] }))[0]).toBe(true);
    } finally {
      peer.close();
    }
  });
});
