/**
 * Replication of masked objects between the nodes of a cluster and to a cluster client that clones
 * a new key to other nodes (client-side key synchronization, CloudHSM:
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-key-sync.html): export and import one
 * masked object, the (id, version) digest, which objects a node has, and a page of masked objects.
 */
import type { MaskedObjectWire } from '@strongroom/hsm-protocol';
import * as a from '../args';
import { denied, unavailable } from '../errors';
import { mayUse } from '../ownership';
import { asMaskedObject, maskObject, unmaskObject } from '../masked';
import type { OpTable } from './table';

export const syncOps = {
  'sync.export': {
    access: 'node-or-login',
    fn: ({ node, conn }, args): MaskedObjectWire => {
      const id = a.str(args, 'id', 128);
      const o = node.objects()[id];
      if (!o) throw unavailable(`object ${id} not found on node ${node.identity.nodeId}`);
      const s = conn.session;
      if (s) {
        if (o.kind === 'key' && s.role === 'crypto-user' && !mayUse(o, s)) throw unavailable(`object ${id} not found`);
        if (o.kind !== 'key' && s.role !== 'admin') throw denied('only admins can extract user and quorum objects', 'ADMIN_ONLY');
      }
      return maskObject(node.data.cluster.maskingKey, o);
    },
  },
  'sync.import': {
    access: 'node-or-login',
    durable: true,
    fn: async ({ node }, args) => {
      const m = asMaskedObject(args.masked);
      const obj = unmaskObject(node.data.cluster.maskingKey, m);
      return { changed: (await node.mergeObjects([obj])) > 0 };
    },
  },
  // The (id, version) list and which objects a node has name every user and key handle: nodes only.
  'sync.digest': { access: 'node', fn: ({ node }) => node.digest().list },
  'sync.has': {
    access: 'node',
    fn: ({ node }, args) => {
      const objects = node.objects();
      return a.list(args, 'ids', 1000).map((id) => typeof id === 'string' && !!objects[id] && !objects[id]!.deleted);
    },
  },
  'sync.get': {
    access: 'node',
    fn: ({ node }, args) => node.masked(a.list(args, 'ids', 500).filter((x): x is string => typeof x === 'string')),
  },
} satisfies OpTable<'sync.export' | 'sync.import' | 'sync.digest' | 'sync.has' | 'sync.get'>;
