/**
 * Users: create, delete, unlock, change password, list, register a quorum key. Admins manage users
 * (with quorum when the `user` service needs it); every user changes its own password. CloudHSM:
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-hsm-users-chsm-cli.html
 */
import * as a from '../args';
import { requireQuorum } from '../context';
import { denied, invalid, limit } from '../errors';
import * as mech from '../mechanisms';
import { newUserId, ownedBy, sharedWith, userIdOf } from '../ownership';
import { checkPassword, checkUserName, hashPassword } from '../passwords';
import type { UserObject } from '../state';
import type { OpTable } from './table';

export const userOps = {
  'user.changePassword': {
    access: 'login',
    durable: true,
    fn: async (ctx, args) => {
      const { node, session: s } = ctx;
      const target = a.optStr(args, 'user', 64) ?? s.user;
      const pw = a.str(args, 'newPassword', 64);
      const err = checkPassword(pw);
      if (err) throw invalid(err);
      const u = node.user(target);
      if (!u) throw invalid(`no user ${target}`);
      if (target !== s.user) {
        if (s.role !== 'admin') throw denied('only admins can change another user\'s password', 'ADMIN_ONLY');
        await requireQuorum(ctx, 'user.changePassword', args);
      }
      node.put({ ...u, password: await hashPassword(pw, node.limits.passwordHashCost), mustChangePassword: false, locked: target === s.user ? u.locked : false, version: node.nextVersion(u.version) });
      if (target === s.user) s.mustChangePassword = false;
      node.failures.delete(target);
      await node.persist();
      return true as const;
    },
  },
  'user.create': {
    access: 'admin',
    durable: true,
    fn: async (ctx, args) => {
      const { node } = ctx;
      const name = a.str(args, 'user', 64);
      const role = a.oneOf(args, 'role', ['admin', 'crypto-user'] as const);
      const pw = a.str(args, 'password', 64);
      const e1 = checkUserName(name);
      if (e1) throw invalid(e1);
      const e2 = checkPassword(pw);
      if (e2) throw invalid(e2);
      if (node.user(name)) throw invalid(`user ${name} already exists`);
      const count = Object.values(node.objects()).filter((o) => o.kind === 'user' && !o.deleted).length;
      if (count >= node.limits.maxUsers) throw limit(`user limit reached: a cluster holds at most ${node.limits.maxUsers} users`);
      await requireQuorum(ctx, 'user.create', args);
      const prev = node.objects()[`u:${name}`];
      node.put({ kind: 'user', id: `u:${name}`, uid: newUserId(), version: node.nextVersion(prev?.version), name, role, password: await hashPassword(pw, node.limits.passwordHashCost), mustChangePassword: false, locked: false });
      await node.persist();
      return { user: name, role, id: `u:${name}` };
    },
  },
  'user.delete': {
    access: 'admin',
    durable: true,
    fn: async (ctx, args) => {
      const { node } = ctx;
      const name = a.str(args, 'user', 64);
      const u = node.user(name);
      if (!u) throw invalid(`no user ${name}`);
      if (name === ctx.session.user) throw invalid('an admin cannot delete itself');
      const who = { uid: userIdOf(u) };
      const owned = Object.values(node.objects()).some((o) => o.kind === 'key' && !o.deleted && ownedBy(o, who));
      if (owned) throw invalid(`user ${name} still owns keys; delete them first`);
      await requireQuorum(ctx, 'user.delete', args);
      node.put({ ...u, deleted: true, version: node.nextVersion(u.version), password: { ...u.password, hash: Buffer.alloc(32) } });
      for (const s of node.sessions.values()) if (s.user === name) node.sessions.delete(s.id);
      // Remove the user's shares everywhere: each key changed here replicates with a new version.
      for (const o of Object.values(node.objects())) {
        if (o.kind === 'key' && !o.deleted && sharedWith(o, who)) node.put({ ...o, sharedWith: o.sharedWith.filter((x) => x !== who.uid), version: node.nextVersion(o.version) });
      }
      for (const k of node.sessionKeyStore.values()) if (sharedWith(k, who)) k.sharedWith = k.sharedWith.filter((x) => x !== who.uid);
      await node.persist();
      return true as const;
    },
  },
  'user.unlock': {
    access: 'admin',
    durable: true,
    fn: async (ctx, args) => {
      const { node } = ctx;
      const name = a.str(args, 'user', 64);
      const u = node.user(name);
      if (!u) throw invalid(`no user ${name}`);
      await requireQuorum(ctx, 'user.unlock', args);
      node.put({ ...u, locked: false, version: node.nextVersion(u.version) });
      node.failures.delete(name);
      await node.persist();
      return true as const;
    },
  },
  'user.list': {
    access: 'login',
    fn: ({ node }) =>
      Object.values(node.objects())
        .filter((o): o is UserObject => o.kind === 'user' && !o.deleted)
        .map((u) => ({ user: u.name, role: u.role, locked: u.locked, mustChangePassword: u.mustChangePassword, quorumKey: !!u.quorumKey })),
  },
  'user.registerQuorumKey': {
    access: 'admin',
    durable: true,
    fn: async ({ node, session }, args) => {
      const pem = a.str(args, 'publicKeyPem', 4096);
      try {
        const k = mech.publicKeyFromDer(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
        if (k.asymmetricKeyType !== 'ec') throw new Error('not EC');
      } catch {
        throw invalid('publicKeyPem must be an ECDSA public key (SPKI PEM)');
      }
      const u = node.user(session.user);
      if (!u) throw invalid(`no user ${session.user}`);
      node.put({ ...u, quorumKey: pem, version: node.nextVersion(u.version) });
      await node.persist();
      return true as const;
    },
  },
} satisfies OpTable<'user.changePassword' | 'user.create' | 'user.delete' | 'user.unlock' | 'user.list' | 'user.registerQuorumKey'>;
