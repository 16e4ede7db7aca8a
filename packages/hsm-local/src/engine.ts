/**
 * The node's operation set, assembled from the rooms in ops/ (sessions, users, quorum, keys, key
 * wrapping, crypto, sync, backup) over one node context, and the dispatch every request goes through:
 * the tamper state, the access check (access.ts), shaping, the handler, and the audit record.
 * Transport-free: server.ts feeds it decoded requests.
 *
 * Every operation is audited (CloudHSM audit logs:
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/get-hsm-audit-logs-using-cloudwatch.html);
 * operations that change durable state are acknowledged only after the sealed state and their audit
 * record are on disk (group commit). Crypto operations touch neither disk nor fsync.
 */
import { StrongroomError } from '@strongroom/core';
import type { HsmOp, SyncPeerStatus } from '@strongroom/hsm-protocol';
import { checkAccess } from './access';
import type { Args } from './args';
import { importedId, type AuditLog } from './audit';
import { createNodeContext, type ConnContext, type LoggedIn, type OpContext } from './context';
import { tamperedError } from './errors';
import type { MaskedObject } from './masked';
import { backupOps } from './ops/backup';
import { cryptoOps } from './ops/crypto';
import { keyOps } from './ops/keys';
import { quorumOps } from './ops/quorum';
import { sessionOps } from './ops/session';
import { syncOps } from './ops/sync';
import type { OpSpec, OpTable } from './ops/table';
import { userOps } from './ops/users';
import { wrapOps } from './ops/wrap';
import type { Shaper } from './shaping';
import type { NodeIdentity, ReplicatedObject, StateStore } from './state';
import type { WireValue } from '@strongroom/hsm-protocol';

export type { ConnContext, Session } from './context';
export type { SyncPeerStatus } from '@strongroom/hsm-protocol';

export interface EngineOptions {
  identity: NodeIdentity;
  store: StateStore;
  audit: AuditLog;
  shaper: Shaper;
  now?: () => number;
  peerStatus?: () => SyncPeerStatus[];
  createBackup?: () => Promise<{ path: string; createdAt: number }>;
  /** Node-to-node push of masked objects (peer-sync.ts); resolves with how many peers took them. */
  pushToPeers?: (objs: MaskedObject[]) => Promise<number>;
}

export interface Engine {
  handle(ctx: ConnContext, op: string, args: Args): WireValue | Promise<WireValue>;
  connectionClosed(ctx: ConnContext): void;
  /** Merge objects received from a peer (server-side sync). Returns how many changed. */
  mergeObjects(objs: ReplicatedObject[]): Promise<number>;
  digestList(): Array<[string, number]>;
  /** SHA-256 over the sorted (id, version) list: equal on two nodes means in sync. */
  digestHash(): string;
  masked(ids: string[]): MaskedObject[];
  tamper(reason: string): void;
  readonly tampered: boolean;
  sessionCount(): number;
}

/** Every operation of the protocol, each exactly once (a missing or extra one does not compile). */
const OPS: OpTable<HsmOp> = { ...sessionOps, ...userOps, ...quorumOps, ...keyOps, ...wrapOps, ...cryptoOps, ...syncOps, ...backupOps };

type AnySpec = OpSpec<HsmOp>;
type AnyHandler = (ctx: OpContext | LoggedIn, args: Args) => WireValue | Promise<WireValue>;

const AUDITED_ARGS = ['handle', 'label', 'user', 'role', 'service', 'type', 'mechanism', 'wrappingHandle', 'unwrappingHandle', 'id'];

function auditDetail(op: string, args: Args): Record<string, unknown> | undefined {
  const d: Record<string, unknown> = {};
  for (const k of AUDITED_ARGS) {
    const v = args[k];
    if (typeof v === 'string') d[k] = v;
  }
  if (op === 'key.generate' || op === 'key.import') {
    const t = args.template as Args | undefined;
    if (t && typeof t.label === 'string') d.label = t.label;
  }
  if (op === 'sync.import') d.ids = [importedId(args) ?? '(none)'];
  return Object.keys(d).length ? d : undefined;
}

export function createEngine(opts: EngineOptions): Engine {
  const { audit, shaper } = opts;
  const node = createNodeContext(opts);

  function finish(conn: ConnContext, op: string, args: Args, spec: AnySpec | undefined, error: unknown): void | Promise<void> {
    const fromPeer = conn.peer.startsWith('node:');
    if (!error && fromPeer && spec?.quietForPeers) return;
    const entry = {
      op,
      user: conn.session?.user ?? (fromPeer ? conn.peer : undefined),
      session: conn.session?.id,
      response: error ? `ERROR:${StrongroomError.isInstance(error) ? String(error.details?.reason ?? error.code) : 'INTERNAL'}` : 'SUCCESS',
      detail: auditDetail(op, args),
    };
    if (spec?.durable || op === 'login') return audit.appendDurable(entry);
    audit.append(entry);
  }

  function handle(conn: ConnContext, op: string, args: Args): WireValue | Promise<WireValue> {
    const spec: AnySpec | undefined = Object.prototype.hasOwnProperty.call(OPS, op) ? OPS[op as HsmOp] : undefined;
    try {
      if (!spec) throw new StrongroomError('UNSUPPORTED', `unknown operation ${op.slice(0, 64)}`);
      if (node.tampered && op !== 'hello' && op !== 'status') throw tamperedError(node.identity.nodeId);
      const session = checkAccess(node, conn, op, spec.access);
      // checkAccess returned the session for every login access, so a LoggedIn handler gets one.
      const ctx: OpContext | LoggedIn = session ? { node, conn, session } : { node, conn };
      const fn = spec.fn as AnyHandler;
      const gate = spec.cls ? shaper.admit(spec.cls) : undefined;
      const run = (): WireValue | Promise<WireValue> => fn(ctx, args);
      const result = gate ? gate.then(run) : run();
      if (result instanceof Promise) {
        return result.then(
          async (v) => {
            await finish(conn, op, args, spec, undefined);
            return v;
          },
          async (e: unknown) => {
            await Promise.resolve(finish(conn, op, args, spec, e)).catch(() => undefined);
            throw e;
          },
        );
      }
      const f = finish(conn, op, args, spec, undefined);
      return f ? f.then(() => result) : result;
    } catch (e) {
      const f = finish(conn, op, args, spec, e);
      if (f) return f.catch(() => undefined).then(() => Promise.reject(e));
      throw e;
    }
  }

  return {
    handle,
    connectionClosed(conn) {
      node.dropSession(conn);
      for (const h of conn.sessionKeys) {
        node.sessionKeyStore.get(h)?.material.fill(0);
        node.sessionKeyStore.delete(h);
      }
      conn.sessionKeys.clear();
    },
    mergeObjects: (objs) => node.mergeObjects(objs),
    digestList: () => node.digest().list,
    digestHash: () => node.digest().hash,
    masked: (ids) => node.masked(ids),
    tamper: (reason) => node.tamper(reason),
    get tampered() {
      return node.tampered;
    },
    sessionCount: () => node.sessions.size,
  };
}
