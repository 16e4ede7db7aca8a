/**
 * The access check every request passes before its handler runs: node-only operations need a node
 * certificate, the others a live session (idle and absolute timeouts), an activated password
 * (an unactivated admin may only change it) and the role the operation names. CloudHSM user types:
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/understanding-users.html
 */
import type { ConnContext, NodeContext, Session } from './context';
import { denied } from './errors';
import type { Access } from './ops/table';

/**
 * @returns the caller's live session, or undefined for operations that need none (and for nodes).
 * @throws StrongroomError ACCESS_DENIED with the reason.
 */
export function checkAccess(node: NodeContext, conn: ConnContext, op: string, access: Access): Session | undefined {
  if (access === 'none') return undefined;
  const isNode = conn.peer.startsWith('node:');
  if (access === 'node') {
    if (!isNode) throw denied(`${op} is for cluster nodes only`, 'NODE_ONLY');
    return undefined;
  }
  if (access === 'node-or-login' && isNode) return undefined;
  const s = conn.session;
  if (!s || !node.sessions.has(s.id)) throw denied(`${op} needs a logged-in session`, 'NOT_LOGGED_IN');
  const t = node.now();
  if (t - s.lastUse > node.limits.sessionIdleMs || t - s.loginAt > node.limits.sessionMaxMs) {
    node.dropSession(conn);
    throw denied('session expired; log in again', 'SESSION_EXPIRED');
  }
  s.lastUse = t;
  if (s.mustChangePassword && op !== 'user.changePassword' && op !== 'logout') {
    throw denied('the password must be changed before any other operation (unactivated admin)', 'PASSWORD_CHANGE_REQUIRED');
  }
  if (access === 'admin' && s.role !== 'admin') throw denied(`${op} needs the admin role`, 'ADMIN_ONLY');
  if (access === 'crypto' && s.role !== 'crypto-user') {
    throw denied(`${op} needs the crypto-user role; admins manage users and quorum but cannot manage or use keys`, 'CRYPTO_USER_ONLY');
  }
  return s;
}
