/**
 * `strongroom hsm …`: administration of the dev HSM cluster (docs/cli.md#strongroom-hsm).
 * Admin operations (users, quorum, backups) go to one node as the cluster admin and replicate;
 * key operations go through the cluster client as the crypto user.
 */
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { verifyNodeAuditLog, addNodeFromBackup, loadCluster, type AuditVerifyResult } from '@strongroom/hsm-local';
import { connectHsmNode, type HsmNodeConnection, type QuorumService } from '@strongroom/hsm-protocol';
import { StrongroomError } from '@strongroom/core';
import { connectDevHsm, hsmPems, requestTimeoutMs } from '../clients';
import type { DevConfig } from '../dev-config';
import { plural } from '../plural';
import { UsageError } from '../exit';
import { readSecret } from '../secret-input';
import type { CliContext } from './context';
import { collectApprovals, loadOrCreateQuorumKey, parseApprovers } from './quorum-keys';

/** Log in as another admin than the config's: the name, and the env variable holding its password. */
export interface AdminOverride {
  user?: string | undefined;
  passwordEnv?: string | undefined;
}

function adminCredentials(config: DevConfig, o: AdminOverride | undefined): { user: string; password: string } {
  if (!o?.user) return { user: config.hsmAdmin.user, password: config.hsmAdmin.password };
  const env = o.passwordEnv ?? 'STRONGROOM_HSM_ADMIN_PASSWORD';
  const password = process.env[env];
  if (!password) throw new UsageError(`--user ${o.user}: set that admin's password in env ${env} (or name another variable with --password-env)`);
  return { user: o.user, password };
}

async function node(config: DevConfig, as: 'admin' | 'crypto', index = 0, admin?: AdminOverride): Promise<HsmNodeConnection> {
  const n = config.hsm.nodes[index];
  if (!n) throw new UsageError(`--node ${index}: the cluster has ${plural(config.hsm.nodes.length, 'node')} (0-${config.hsm.nodes.length - 1})`);
  // Each call has the CLI's deadline (env STRONGROOM_TIMEOUT): a hung node fails the command, typed.
  const conn = await connectHsmNode({ url: n.url, ...hsmPems(config.hsm), callTimeoutMs: requestTimeoutMs() });
  try {
    if (as === 'admin') await conn.call('login', adminCredentials(config, admin));
    else await conn.call('login', { user: config.hsm.user, password: config.hsm.password });
  } catch (error) {
    conn.close();
    throw error;
  }
  return conn;
}

function listening(url: string): Promise<boolean> {
  const port = Number(url.slice(url.lastIndexOf(':') + 1));
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

const isQuorumService = (s: string): s is QuorumService => s === 'user' || s === 'quorum';

function table(ctx: CliContext, rows: ReadonlyArray<Record<string, unknown>>): void {
  if (rows.length === 0) {
    ctx.print('(none)');
    return;
  }
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  ctx.print(cols.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  for (const r of rows) ctx.print(cols.map((c, i) => cell(r[c]).padEnd(widths[i]!)).join('  '));
}

async function withNode<T>(config: DevConfig, as: 'admin' | 'crypto', fn: (c: HsmNodeConnection) => Promise<T>, admin?: AdminOverride): Promise<T> {
  const c = await node(config, as, 0, admin);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

export async function hsmUsers(ctx: CliContext, action: string, name: string | undefined, o: { role?: string; passwordEnv?: string; passwordFile?: string; approver?: string[] }): Promise<void> {
  const config = ctx.config();
  const approvers = parseApprovers(o.approver);
  // Read before connecting (a prompt may wait); never from argv (docs/cli.md#secrets).
  const password =
    action === 'create' && name ? await readSecret({ what: `password for the new HSM user ${name}`, fileFlag: '--password-file', file: o.passwordFile, env: o.passwordEnv ?? 'STRONGROOM_HSM_NEW_PASSWORD' }) : undefined;
  await withNode(config, 'admin', async (c) => {
    if (action === 'list') return table(ctx, await c.call('user.list', {}));
    if (!name) throw new UsageError(`hsm users ${action}: a user name is required`);
    if (action === 'create') {
      const role = o.role ?? 'crypto-user';
      if (role !== 'crypto-user' && role !== 'admin') throw new UsageError('--role: crypto-user or admin');
      if (password === undefined) throw new UsageError('hsm users create: a password is required');
      const args = { user: name, role, password } as const;
      await c.call('user.create', { ...args, ...(await collectApprovals(c, { op: 'user.create', args }, approvers)) });
      return ctx.print(`created ${role} ${name}`);
    }
    if (action === 'delete' || action === 'unlock') {
      const op = action === 'delete' ? 'user.delete' : 'user.unlock';
      await c.call(op, { user: name, ...(await collectApprovals(c, { op, args: { user: name } }, approvers)) });
      return ctx.print(`${action === 'delete' ? 'deleted' : 'unlocked'} ${name}`);
    }
    throw new UsageError(`hsm users: unknown action ${action} (list, create, delete, unlock)`);
  });
}

export async function hsmKeys(ctx: CliContext, action: string, o: { label?: string }): Promise<void> {
  const config = ctx.config();
  if (action === 'list') {
    await withNode(config, 'crypto', async (c) => {
      const keys = await c.call('key.find', {});
      table(ctx, keys.map((k) => ({ handle: k.handle, label: k.label, type: k.type, class: k.class, bits: k.bits })));
    });
    return;
  }
  if (!o.label) throw new UsageError(`hsm keys ${action}: --label is required`);
  const hsm = await connectDevHsm(config, { abortSignal: ctx.signal });
  try {
    const existing = await hsm.findKey({ label: o.label, class: 'secret' });
    if (action === 'create') {
      if (existing) throw new StrongroomError('INVALID_ARGUMENT', `an HSM key labelled "${o.label}" already exists`);
      const k = await hsm.generateAesKey({ label: o.label, bits: 256, token: true, extractable: false, encrypt: true, decrypt: true, wrap: true, unwrap: true });
      ctx.print(`created AES-256 key "${k.label}" (handle ${k.handle}); use it as hsm://${k.label}`);
    } else if (action === 'delete') {
      if (!existing) throw new StrongroomError('KEY_UNAVAILABLE', `no HSM key labelled "${o.label}"`);
      await hsm.deleteKey(existing);
      ctx.print(`deleted "${o.label}"`);
    } else throw new UsageError(`hsm keys: unknown action ${action} (list, create, delete)`);
  } finally {
    await hsm.close();
  }
}

export async function hsmQuorum(
  ctx: CliContext, action: string, service: string | undefined, value: string | undefined,
  o: { keyFile?: string; user?: string; passwordEnv?: string; approver?: string[] } = {},
): Promise<void> {
  const config = ctx.config();
  const approvers = parseApprovers(o.approver);
  if (action === 'register-key') {
    if (!o.keyFile) throw new UsageError('hsm quorum register-key --key-file <path> [--user <admin> --password-env <VAR>]');
    const { publicKeyPem, created } = loadOrCreateQuorumKey(o.keyFile);
    await withNode(config, 'admin', async (c) => {
      await c.call('user.registerQuorumKey', { publicKeyPem });
      const who = o.user ?? config.hsmAdmin.user;
      ctx.print(`${created ? 'generated' : 'read'} the quorum key ${o.keyFile} and registered its public key for admin ${who}; keep the file private (mode 0600)`);
    }, o);
    return;
  }
  await withNode(config, 'admin', async (c) => {
    if (action === 'get') {
      const q = await c.call('quorum.get', {});
      return table(ctx, Object.entries(q).map(([s, v]) => ({ service: s, 'm-of-n': v })));
    }
    if (action === 'set') {
      if (!service || !value || !/^\d$/.test(value)) throw new UsageError('hsm quorum set <service> <value 1-8> [--approver <admin>=<key file> …]');
      if (!isQuorumService(service)) throw new UsageError(`hsm quorum set: service must be user or quorum (got ${service})`);
      const args = { service, value: Number(value) };
      const q = await c.call('quorum.setValue', { ...args, ...(await collectApprovals(c, { op: 'quorum.setValue', args }, approvers)) });
      return ctx.print(`quorum: ${JSON.stringify(q)}`);
    }
    throw new UsageError(`hsm quorum: unknown action ${action} (get, set, register-key)`);
  }, o);
}

export async function hsmBackup(ctx: CliContext): Promise<void> {
  const config = ctx.config();
  await withNode(config, 'admin', async (c) => {
    const b = await c.call('backup.create', {});
    ctx.print(`backup written: ${b.path}`);
  });
}

export async function hsmRestore(ctx: CliContext, o: { backup: string; node?: string }): Promise<void> {
  const config = ctx.config();
  const cluster = loadCluster(config.hsmClusterDir);
  const i = Number(o.node ?? '0');
  const n = cluster.nodes[i];
  if (!n || !/^\d+$/.test(o.node ?? '0')) {
    const order = config.hsm.nodes.map((node, j) => `${j} = ${node.az}`).join(', ');
    throw new UsageError(`--node ${o.node}: a node index counted from 0, 0-${cluster.nodes.length - 1} (${order})`);
  }
  if (!existsSync(o.backup)) throw new UsageError(`--backup ${o.backup}: no such file`);
  // Restoring rewrites the node's sealed state: never under a running node.
  const url = config.hsm.nodes[i]?.url;
  if (url && (await listening(url))) throw new UsageError(`node ${i} is running at ${url}; stop the dev stack (Ctrl-C) before restoring it`);
  // The backup key exists only in the nodes' sealed states: another node of the cluster lends it.
  const donor = cluster.nodes.find((d, j) => j !== i && !existsSync(join(d.dataDir, 'TAMPERED')));
  if (!donor) throw new UsageError('no healthy node of the cluster is left to open the backup (its sealed state holds the backup key)');
  const r = addNodeFromBackup({ clusterDir: config.hsmClusterDir, dataDir: n.dataDir, backupFile: o.backup, donorDataDir: donor.dataDir });
  ctx.print(`node ${r.nodeId} (${r.az}) restored from ${o.backup}; start the dev stack again and it rejoins the cluster`);
}

export async function hsmAuditVerify(ctx: CliContext, file: string | undefined): Promise<boolean> {
  // Each log is checked with the audit key and chain head sealed in its node's state; a file given
  // by path is checked against every node and reported for the node whose key fits it best.
  const nodes = loadCluster(ctx.config().hsmClusterDir).nodes;
  const files = file ? [file] : nodes.map((n) => join(n.dataDir, 'audit.log'));
  let ok = true;
  for (const f of files) {
    const candidates = file ? nodes : nodes.filter((n) => join(n.dataDir, 'audit.log') === f);
    let r: AuditVerifyResult | undefined;
    let why = 'no node of the cluster to verify it against';
    for (const n of candidates) {
      try {
        const x = await verifyNodeAuditLog(n.dataDir, { file: f });
        if (!r || x.problems.length < r.problems.length) r = x;
      } catch (e) {
        why = `node state unreadable: ${(e as Error).message}`;
      }
    }
    if (!r) {
      ok = false;
      ctx.print(`BROKEN  ${f}  ${why}`);
      continue;
    }
    ok &&= r.ok;
    ctx.print(`${r.ok ? 'ok     ' : 'BROKEN '} ${f}  ${JSON.stringify({ ...r, ok: undefined })}`);
  }
  return ok;
}

export async function hsmSyncStatus(ctx: CliContext): Promise<void> {
  const hsm = await connectDevHsm(ctx.config(), { abortSignal: ctx.signal });
  try {
    const status = await hsm.syncStatus();
    table(ctx, status.map((s) => ({ url: s.url, az: s.az ?? '', node: s.nodeId ?? '', healthy: s.healthy, state: s.state ?? '', objects: s.keys ?? '', inSync: s.inSync ?? '' })));
  } finally {
    await hsm.close();
  }
}
