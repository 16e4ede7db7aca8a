/** Shared set-up of the security tests: a 3-node cluster with an activated admin, a second and third admin, crypto users. */
import { generateKeyPairSync } from 'node:crypto';
import { StrongroomError } from '@strongroom/core';
import { signQuorumToken, type HsmNodeConnection } from '../../src/index';
import { eventually, startTestCluster, type TestCluster } from '../helpers';

export const PW: Record<string, string> = { admin: 'admin-pass-1', admin2: 'admin2-pass-1', admin3: 'admin3-pass-1', alice: 'alice-pass-1', bob: 'bob-pass-1' };

/** `CODE:reason` of a refused call; throws if the call succeeded. */
export async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (!StrongroomError.isInstance(e)) throw e;
    return `${e.code}:${String(e.details?.reason ?? '')}`;
  }
  throw new Error('expected the call to fail');
}

export interface Approver {
  user: string;
  privateKeyPem: string;
}

export interface SecurityCluster {
  c: TestCluster;
  /** Logged-in admin connections per node (index = node). */
  admin: HsmNodeConnection[];
  approvers: Approver[];
}

/** Cluster with admins admin, admin2, admin3 (quorum keys registered for admin and admin2) and crypto users alice, bob. */
export async function startSecurityCluster(): Promise<SecurityCluster> {
  const c = await startTestCluster();
  const first = await c.connect(0);
  await first.callUnchecked('login', { user: 'admin', password: 'initial-pw-1' });
  await first.callUnchecked('user.changePassword', { newPassword: PW.admin });
  for (const [user, role] of [['admin2', 'admin'], ['admin3', 'admin'], ['alice', 'crypto-user'], ['bob', 'crypto-user']] as const) {
    await first.callUnchecked('user.create', { user, role, password: PW[user] });
  }
  const approvers: Approver[] = [];
  for (const user of ['admin', 'admin2']) {
    const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const conn = user === 'admin' ? first : await eventually(async () => c.login(0, user, PW[user]!).catch(() => undefined));
    await conn.callUnchecked('user.registerQuorumKey', { publicKeyPem: k.publicKey.export({ type: 'spki', format: 'pem' }) as string });
    approvers.push({ user, privateKeyPem: k.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string });
  }
  const admin = [first];
  for (const i of [1, 2]) {
    // Wait until every user (and both quorum keys) reached the node.
    admin.push(await eventually(async () => {
      const conn = await c.login(i, 'admin', PW.admin!).catch(() => undefined);
      if (!conn) return undefined;
      const users = await conn.callUnchecked<Array<{ user: string; quorumKey: boolean }>>('user.list');
      return users.filter((u) => u.quorumKey).length === 2 && users.some((u) => u.user === 'bob') ? conn : undefined;
    }));
  }
  return { c, admin, approvers };
}

/**
 * Ask `conn` for a quorum token for `op` with `args` and have every approver sign it.
 * Sends the service too, so the same call works on a node that only knows service-wide tokens.
 */
export async function approve(conn: HsmNodeConnection, op: string, args: Record<string, unknown>, approvers: Approver[]): Promise<{ quorumToken: Buffer; approvals: Array<{ user: string; signature: Buffer }> }> {
  const service = op === 'quorum.setValue' ? 'quorum' : 'user';
  const { token } = await conn.callUnchecked<{ token: Buffer }>('quorum.tokenGenerate', { service, op, args: args as never });
  return { quorumToken: token, approvals: approvers.map((a) => ({ user: a.user, signature: signQuorumToken(token, a.privateKeyPem) })) };
}
