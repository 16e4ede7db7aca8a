/**
 * Key availability for a cluster client (./client), as CloudHSM's client SDK 5 does it
 * (https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-key-sync.html): after creating a
 * token key the client asks the node that made it to push it to its peers (`key.replicate`, done by
 * the node with its own certificate: replication is never a user's operation), and a token key is
 * used only once it exists on at least `need` nodes. A session key lives on the node that made it;
 * its reference carries that node (`handle@index`) and every use goes there.
 */
import { StrongroomError } from '@strongroom/core';
import type { HsmFailureReason, NodeKey } from '@strongroom/hsm-protocol';
import type { HsmCallOptions, HsmKeyRef } from '../backend';
import type { NodeLink } from './node-link';

const SESSION_SEP = '@';

/** A node's key as the client hands it out: a session key's handle names its node. */
export function toRef(k: NodeKey, sessionNode?: number): HsmKeyRef {
  return {
    handle: sessionNode === undefined ? k.handle : `${k.handle}${SESSION_SEP}${sessionNode}`,
    label: k.label,
    type: k.type,
    bits: k.bits,
    class: k.class,
    owner: k.owner,
  };
}

function availabilityError(handle: string, have: number, need: number): StrongroomError {
  return new StrongroomError(
    'KEY_UNAVAILABLE',
    `Key ${handle} does not meet the availability requirements - The key must be available on at least ${need} HSMs before being used. ` +
      `(It is on ${have}.) Bring more nodes up, or disable the check with keyAvailability: 1 / disableKeyAvailabilityCheck: true ` +
      '(as configure-pkcs11 --disable-key-availability-check), e.g. for a single-node cluster.',
    { details: { reason: 'KEY_AVAILABILITY' satisfies HsmFailureReason, handle, available: have, required: need } },
  );
}

/** The key-availability half of a cluster client. */
export interface KeyAvailability {
  /** The node handle of a key reference, and its node when it is a session key. */
  route(ref: HsmKeyRef): { handle: string; link?: NodeLink };
  /** Run a key operation where the key is: its node for a session key, any node holding it (once it is on `need` nodes) for a token key. */
  useKey<T>(ref: HsmKeyRef, o: HsmCallOptions | undefined, call: (handle: string, only: NodeLink | undefined) => Promise<{ value: T }>): Promise<T>;
  /** New keys made by `link`: token keys replicated to `need` nodes (or deleted again and refused), as references. */
  created(keys: NodeKey[], link: NodeLink, o?: HsmCallOptions): Promise<HsmKeyRef[]>;
  /** After a delete by `link`: forget the key and push its tombstone now (token keys). */
  deleted(handle: string, link: NodeLink, session: boolean, o?: HsmCallOptions): Promise<void>;
  /** Nodes on which the caller can see the key (asked per key, within the caller's rights). */
  replicaCount(handle: string, o?: HsmCallOptions): Promise<number>;
}

export function createKeyAvailability(links: readonly NodeLink[], need: number): KeyAvailability {
  const available = new Map<string, Promise<void> | true>();

  function route(ref: HsmKeyRef): { handle: string; link?: NodeLink } {
    const at = ref.handle.indexOf(SESSION_SEP);
    if (at < 0) return { handle: ref.handle };
    return { handle: ref.handle.slice(0, at), link: links[Number(ref.handle.slice(at + 1))] };
  }

  async function replicaCount(handle: string, o?: HsmCallOptions): Promise<number> {
    const counts = await Promise.all(
      links.filter((l) => l.healthy).map((l) => l.call('key.getAttributes', { handle }, o?.abortSignal).then(() => 1, () => 0)),
    );
    return counts.reduce((x: number, y: number) => x + y, 0);
  }

  /** Have `origin` push a token key (or its deletion) to its peers now; returns the nodes holding it. */
  async function replicate(handle: string, origin: NodeLink, o?: HsmCallOptions): Promise<number> {
    return (await origin.call('key.replicate', { handle }, o?.abortSignal)).nodes;
  }

  function ensureAvailable(handle: string, o?: HsmCallOptions): Promise<void> | undefined {
    if (need <= 1) return undefined;
    const cached = available.get(handle);
    if (cached === true) return undefined;
    if (cached) return cached;
    const p = replicaCount(handle, o).then(
      (n) => {
        if (n < need) {
          available.delete(handle);
          throw availabilityError(handle, n, need);
        }
        available.set(handle, true);
      },
      (e: unknown) => {
        available.delete(handle);
        throw e;
      },
    );
    available.set(handle, p);
    return p;
  }

  async function useKey<T>(ref: HsmKeyRef, o: HsmCallOptions | undefined, call: (handle: string, only: NodeLink | undefined) => Promise<{ value: T }>): Promise<T> {
    const r = route(ref);
    if (r.link) {
      if (!r.link.healthy) throw new StrongroomError('KEY_UNAVAILABLE', `session key ${ref.handle} lived on a node that is down`);
      return (await call(r.handle, r.link)).value;
    }
    const gate = ensureAvailable(r.handle, o);
    if (gate) await gate;
    return (await call(r.handle, undefined)).value;
  }

  async function created(keys: NodeKey[], link: NodeLink, o?: HsmCallOptions): Promise<HsmKeyRef[]> {
    const token = keys[0]!.attrs.token;
    if (!token) return keys.map((k) => toRef(k, links.indexOf(link)));
    for (const k of keys) {
      const n = await replicate(k.handle, link, o).catch(() => 0);
      if (n < need) {
        // Refused: the key must not linger on the node that made it and replicate later.
        await discard(keys, link, o);
        throw availabilityError(k.handle, Math.max(n, 1), need);
      }
      available.set(k.handle, true);
    }
    return keys.map((k) => toRef(k));
  }

  /** Delete new keys the availability check refused (best effort: a node that died keeps its copy until deleted by hand). */
  async function discard(keys: NodeKey[], link: NodeLink, o?: HsmCallOptions): Promise<void> {
    for (const k of keys) {
      available.delete(k.handle);
      await link.call('key.delete', { handle: k.handle }, o?.abortSignal).then(
        () => replicate(k.handle, link, o),
        () => 0,
      ).catch(() => 0);
    }
  }

  async function deleted(handle: string, link: NodeLink, session: boolean, o?: HsmCallOptions): Promise<void> {
    available.delete(handle);
    // Push the tombstone now rather than waiting for server-side sync.
    if (!session) await replicate(handle, link, o).catch(() => undefined);
  }

  return { route, useKey, created, deleted, replicaCount };
}
