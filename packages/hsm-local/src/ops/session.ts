/**
 * Sessions: hello, status, login (with lockout after repeated failures), logout. CloudHSM:
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_cli-login.html and
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-hsm-users.html (lockout).
 *
 * Login attempts for one user name run one after another on a node (whatever connection they
 * arrive on): each sees the failure count and lock left by the one before, so once the threshold is
 * reached no further guess is hashed, let alone evaluated. The lock is a replicated user attribute;
 * failure counts are per node (docs/hsm-cluster.md#login-and-lockout).
 */
import { createHash, randomUUID } from 'node:crypto';
import * as a from '../args';
import type { HsmResult } from '@strongroom/hsm-protocol';
import type { ConnContext, NodeContext, Session } from '../context';
import { denied, limit } from '../errors';
import { mayUse, userIdOf } from '../ownership';
import { verifyNothing, verifyPassword } from '../passwords';
import type { KeyObjectRecord } from '../state';
import type { OpTable } from './table';

export const sessionOps = {
  hello: {
    access: 'none',
    fn: ({ node }) => ({ nodeId: node.identity.nodeId, clusterId: node.identity.clusterId, az: node.identity.az, state: node.tampered ? 'TAMPERED' : 'ACTIVE', protocol: 1 }),
  },
  status: {
    access: 'none',
    quietForPeers: true,
    fn: ({ node, conn }) => {
      const live = { nodeId: node.identity.nodeId, clusterId: node.identity.clusterId, az: node.identity.az, state: node.tampered ? 'TAMPERED' as const : 'ACTIVE' as const };
      const s = conn.session && node.sessions.has(conn.session.id) && !conn.session.mustChangePassword ? conn.session : undefined;
      const objects = node.objects();
      if (conn.peer.startsWith('node:') || s?.role === 'admin') {
        const { list, hash } = node.digest();
        let keys = 0;
        for (const [id] of list) if (id.startsWith('k:') && !(objects[id] as KeyObjectRecord).deleted) keys++;
        return {
          ...live, objects: list.length, keys, digest: hash,
          sessions: node.sessions.size, auditSeq: node.audit.lastSeq,
          peers: node.peerStatus().map((p) => ({ ...p })),
        };
      }
      if (!s) return live;
      // A crypto user: only the token keys it may use, and a digest over exactly those.
      const mine: string[] = [];
      for (const o of Object.values(objects)) if (o.kind === 'key' && !o.deleted && mayUse(o, s)) mine.push(`${o.id}@${o.version}`);
      mine.sort();
      return { ...live, keys: mine.length, digest: createHash('sha256').update(mine.join('\n')).digest('hex') };
    },
  },
  login: {
    access: 'none',
    durable: true,
    fn: ({ node, conn }, args) => {
      const name = a.str(args, 'user', 64);
      const password = a.str(args, 'password', 64);
      return oneAtATime(node.loginQueue, name, () => attemptLogin(node, conn, name, password));
    },
  },
  logout: {
    access: 'login',
    fn: ({ node, conn }) => {
      node.dropSession(conn);
      return true;
    },
  },
} satisfies OpTable<'hello' | 'status' | 'login' | 'logout'>;

/** Run `fn` after every earlier call queued under `key` has settled. */
function oneAtATime<T>(queue: Map<string, Promise<void>>, key: string, fn: () => Promise<T>): Promise<T> {
  const run = (queue.get(key) ?? Promise.resolve()).then(fn);
  const tail = run.then(() => undefined, () => undefined);
  queue.set(key, tail);
  void tail.then(() => {
    if (queue.get(key) === tail) queue.delete(key);
  });
  return run;
}

async function attemptLogin(node: NodeContext, conn: ConnContext, name: string, password: string): Promise<HsmResult<'login'>> {
  const { limits, sessions, failures } = node;
  const u = node.user(name);
  if (conn.session && sessions.has(conn.session.id)) throw denied('this connection is already logged in; log out first', 'ALREADY_LOGGED_IN');
  conn.session = undefined;
  if (!u) {
    await verifyNothing(password, limits.passwordHashCost); // as long as a known user's login
    throw denied('login failed: unknown user or wrong password', 'LOGIN_FAILED');
  }
  if (u.locked) throw denied(`user ${name} is locked after repeated login failures; an admin must unlock or reset it`, 'USER_LOCKED');
  const ok = await verifyPassword(password, u.password);
  if (!ok) {
    const n = (failures.get(name) ?? 0) + 1;
    failures.set(name, n);
    if (n >= limits.lockoutThreshold) {
      node.put({ ...u, locked: true, version: node.nextVersion(u.version) });
      failures.delete(name);
      await node.persist();
      throw denied(`login failed; user ${name} is now locked after ${limits.lockoutThreshold} failures`, 'USER_LOCKED');
    }
    // Same answer as for an unknown user: a client must not learn which user names exist.
    throw denied('login failed: unknown user or wrong password', 'LOGIN_FAILED');
  }
  failures.delete(name);
  if (sessions.size >= limits.maxSessionsPerNode) throw limit(`session limit reached: at most ${limits.maxSessionsPerNode} sessions per node`);
  const t = node.now();
  const s: Session = { id: randomUUID(), user: name, uid: userIdOf(u), role: u.role, mustChangePassword: u.mustChangePassword, loginAt: t, lastUse: t };
  sessions.set(s.id, s);
  conn.session = s;
  return { session: s.id, role: u.role, mustChangePassword: u.mustChangePassword };
}
