/**
 * Quorum (M of N admin approvals): mint a token for one operation and its arguments, read and change
 * the quorum values. CloudHSM: https://docs.aws.amazon.com/cloudhsm/latest/userguide/quorum-auth-chsm-cli.html
 * — the quorum service's value governs changes to quorum values; here a change needs the higher of
 * the two values in force, so one admin cannot lower a service whose value is above the quorum
 * service's. The check itself (`requireQuorum`) lives in context.ts, shared with the user operations.
 */
import { QUORUM_OPS, quorumServiceOf } from '@strongroom/hsm-protocol';
import * as a from '../args';
import { requireQuorum } from '../context';
import { invalid } from '../errors';
import { mintQuorumToken, quorumArgsDigest, QUORUM_SERVICES } from '../quorum';
import type { OpTable } from './table';

export const quorumOps = {
  'quorum.tokenGenerate': {
    access: 'admin',
    fn: ({ node, session }, args) => {
      const op = a.oneOf(args, 'op', QUORUM_OPS);
      const opArgs = a.map(args, 'args');
      const service = quorumServiceOf(op);
      const asked = a.optStr(args, 'service', 16);
      if (asked !== undefined && asked !== service) throw invalid(`${op} is governed by the ${service} quorum service, not ${asked}`);
      const { cluster } = node.data;
      const exp = node.now() + node.limits.quorumTokenTtlMs;
      const digest = quorumArgsDigest(cluster.maskingKey, op, opArgs);
      return { token: mintQuorumToken(cluster.maskingKey, { cluster: cluster.clusterId, service, op, args: digest, requester: session.user, exp }), service, expiresAt: exp };
    },
  },
  'quorum.get': { access: 'login', fn: ({ node }) => ({ ...node.quorumSettings().values }) },
  'quorum.setValue': {
    access: 'admin',
    durable: true,
    fn: async (ctx, args) => {
      const { node } = ctx;
      const service = a.oneOf(args, 'service', QUORUM_SERVICES);
      const value = a.int(args, 'value', 1, 8);
      const admins = Object.values(node.objects()).filter((o) => o.kind === 'user' && !o.deleted && o.role === 'admin' && o.quorumKey).length;
      if (value > 1 && value < 2) throw invalid('quorum minimum is 2');
      if (value > admins) throw invalid(`quorum value ${value} exceeds the ${admins} admins with registered quorum keys`);
      const current = node.quorumSettings().values;
      await requireQuorum(ctx, 'quorum.setValue', args, Math.max(current.user, current.quorum));
      const q = node.quorumSettings();
      node.put({ ...q, values: { ...q.values, [service]: value }, version: node.nextVersion(q.version) });
      await node.persist();
      return { ...node.quorumSettings().values };
    },
  },
} satisfies OpTable<'quorum.tokenGenerate' | 'quorum.get' | 'quorum.setValue'>;
