/**
 * Replication of masked objects between the nodes of a cluster (CloudHSM "periodically clones keys
 * to every HSM in the cluster": https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-key-sync.html):
 * export and import one masked object, the (id, version) digest, which objects a node has, a page of
 * masked objects. Every `sync.*` operation is for node identities only — the connection's verified
 * client certificate names `node:<id>` — never for a user session, whatever its role: an imported
 * object must both authenticate under the cluster masking key and come from a peer.
 *
 * A cluster client that just created a token key (client-side key synchronization) asks the node
 * that holds it to push it to its peers with `key.replicate`; the node, not the client, then talks
 * to the peers with its own certificate.
 */
import type { MaskedObjectWire } from '@strongroom/hsm-protocol';
import * as a from '../args';
import { mustUse } from '../context';
import { unavailable } from '../errors';
import { asMaskedObject, maskObject, unmaskObject } from '../masked';
import type { OpTable } from './table';

export const syncOps = {
  'sync.export': {
    access: 'node',
    fn: ({ node }, args): MaskedObjectWire => {
      const id = a.str(args, 'id', 128);
      const o = node.objects()[id];
      if (!o) throw unavailable(`object ${id} not found on node ${node.identity.nodeId}`);
      return maskObject(node.data.cluster.maskingKey, o);
    },
  },
  'sync.import': {
    access: 'node',
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
  'key.replicate': {
    access: 'crypto',
    fn: async (ctx, args) => {
      const { node, session } = ctx;
      const handle = a.str(args, 'handle', 128);
      const id = `k:${handle}`;
      const o = node.objects()[id];
      // A live key the caller may use (mustUse throws otherwise), or the tombstone of one it owned (a deletion to propagate).
      if (!o || o.kind !== 'key' || (o.deleted && o.owner !== session.user)) throw unavailable(`key ${handle} not found on node ${node.identity.nodeId}`);
      if (!o.deleted) mustUse(ctx, handle);
      return { nodes: 1 + (await node.pushToPeers([id])) };
    },
  },
} satisfies OpTable<'sync.export' | 'sync.import' | 'sync.digest' | 'sync.has' | 'sync.get' | 'key.replicate'>;
