/**
 * Quorum (M of N admin approvals): mint a token, read and change the quorum values. CloudHSM:
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/quorum-auth-chsm-cli-service-names.html
 * The check itself (`requireQuorum`) lives in context.ts, shared with the user operations.
 */
import * as a from '../args';
import { requireQuorum } from '../context';
import { invalid } from '../errors';
import { mintQuorumToken, QUORUM_SERVICES } from '../quorum';
import type { OpTable } from './table';

export const quorumOps = {
  'quorum.tokenGenerate': {
    access: 'admin',
    fn: ({ node, session }, args) => {
      const service = a.oneOf(args, 'service', QUORUM_SERVICES);
      const { cluster } = node.data;
      return { token: mintQuorumToken(cluster.maskingKey, { cluster: cluster.clusterId, service, requester: session.user, exp: node.now() + node.limits.quorumTokenTtlMs }) };
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
      await requireQuorum(ctx, 'quorum', args);
      const q = node.quorumSettings();
      node.put({ ...q, values: { ...q.values, [service]: value }, version: node.nextVersion(q.version) });
      await node.persist();
      return { ...node.quorumSettings().values };
    },
  },
} satisfies OpTable<'quorum.tokenGenerate' | 'quorum.get' | 'quorum.setValue'>;
