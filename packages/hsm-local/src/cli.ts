#!/usr/bin/env node
/**
 * `strongroom-hsm` — run and administer hsm-local nodes (docs/hsm-cluster.md).
 *
 *   strongroom-hsm init --dir C --node AZ[=HOST,HOST…] [--node AZ[=HOST,…] …] [--admin-password-file F | --admin-password-prompt]
 *   strongroom-hsm node --data-dir D --port P [--host ADDR] [--az A] [--peers url,url] [--shaping hsm2m.medium] [--latency-ms N]
 *                       [--backup-keep N] [--backup-max-age-days D] [--stop-on-stdin-close]
 *   strongroom-hsm add-node --cluster-dir C --data-dir D --backup F --donor-data-dir N [--az A] [--hosts HOST,HOST…]  (also: restore a tampered node)
 *   strongroom-hsm backup --data-dir D [--out DIR]                                (offline, node stopped)
 *   strongroom-hsm audit verify --data-dir D [FILE]
 *
 * Unseal secret (unseal.ts): STRONGROOM_HSM_UNSEAL_SECRET, or `--unseal-fd N` / `--unseal-file PATH`
 * (outside the data directory) for `node` and `backup`; `init` and `add-node` seal new nodes under
 * the environment variable when it is set. Never on the command line: argv is visible to every user.
 * The initial admin password (`init`): `--admin-password-file F`, STRONGROOM_HSM_ADMIN_PASSWORD, or
 * `--admin-password-prompt` (no echo, on a terminal); `--admin-password P` still works but warns
 * (@strongroom/node-files readServerSecret). Without any, `init` writes a random one to `C/initial-admin-password` (0600).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkRegularFileSync, onStopRequest } from '@strongroom/node-files';
import { verifyNodeAuditLog } from './audit-verify';
import { writeBackupFile } from './backup';
import { initCluster } from './init';
import { checkPasswordHashCost } from './passwords';
import { MIN_SYNC_INTERVAL_MS, runNode } from './node';
import { addNodeFromBackup } from './restore';
import { readServerSecret } from '@strongroom/node-files';
import { resolveShaping } from './shaping';
import { loadStateFile, readIdentity } from './state';
import { readUnsealSecret, resolveUnsealKey, unsealSecretFromEnv } from './unseal';

/** The initial admin password for `init` (else `--admin-password-file`, `--admin-password-prompt`). */
const ADMIN_PASSWORD_ENV = 'STRONGROOM_HSM_ADMIN_PASSWORD';

const UNSEAL_OPTIONS = { 'unseal-fd': { type: 'string' }, 'unseal-file': { type: 'string' } } as const;

/** The unseal secret from --unseal-fd / --unseal-file, else the environment, else none (key file). */
function unsealSecret(values: { 'unseal-fd'?: string | undefined; 'unseal-file'?: string | undefined }, dataDir: string): string | undefined {
  if (values['unseal-fd'] !== undefined) return readUnsealSecret({ fd: Number(values['unseal-fd']) }, dataDir);
  if (values['unseal-file'] !== undefined) return readUnsealSecret({ file: values['unseal-file'] }, dataDir);
  return unsealSecretFromEnv();
}

function passwordHashCostFlag(v: string): number {
  const cost = /^\d{1,2}$/.test(v) ? Number(v) : NaN;
  const problem = checkPasswordHashCost(cost);
  if (problem) throw new Error(`--password-hash-cost ${v}: ${problem}`);
  return cost;
}

/** A whole-number flag in [min, max], digits only (no sign, exponent, spaces or hex); anything else is refused naming the flag. */
function intFlag(flag: string, v: string, min: number, max: number): number {
  const n = /^\d{1,10}$/.test(v) ? Number(v) : NaN;
  if (!(n >= min && n <= max)) throw new Error(`${flag} ${v}: must be a whole number from ${min} to ${max}`);
  return n;
}

function splitList(v: string): string[] {
  return v.split(',').map((h) => h.trim()).filter(Boolean);
}

/** `--node AZ` or `--node AZ=HOST,HOST`: the node's AZ and the names its certificate carries. */
function parseNodeSpec(spec: string): { az: string; hosts?: string[] } {
  const eq = spec.indexOf('=');
  if (eq < 0) return { az: spec };
  return { az: spec.slice(0, eq), hosts: splitList(spec.slice(eq + 1)) };
}

const USAGE = `usage:
  strongroom-hsm init --dir C --node AZ[=HOST,HOST...] [--node AZ[=HOST,...] ...] [--admin-password-file F | --admin-password-prompt] [--password-hash-cost 10-17]
  strongroom-hsm node --data-dir D [--host ADDR] [--port P] [--az A] [--peers url,url] [--shaping hsm1.medium|hsm2m.medium] [--latency-ms N] [--sync-interval-ms N] [--backup-keep N] [--backup-max-age-days D] [--unseal-fd N | --unseal-file PATH] [--stop-on-stdin-close]
  strongroom-hsm add-node --cluster-dir C --data-dir D --backup F --donor-data-dir N [--az A] [--node-id ID] [--hosts HOST,HOST...]
  strongroom-hsm backup --data-dir D [--out DIR] [--unseal-fd N | --unseal-file PATH]
  strongroom-hsm audit verify --data-dir D [FILE] [--unseal-fd N | --unseal-file PATH]
--password-hash-cost: scrypt cost of user passwords, log2 N (default 14: 16 MiB and about 60 ms per login per node).
The initial admin password may also come from STRONGROOM_HSM_ADMIN_PASSWORD (default: random, written to C/initial-admin-password).
HOST: the names/addresses a node is dialed at, written into its certificate (default localhost,127.0.0.1); --host: the address a node listens on (default 127.0.0.1).
The unseal secret may also come from STRONGROOM_HSM_UNSEAL_SECRET; without one, nodes use unseal.key in their data directory (development only).`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const out = (v: unknown) => process.stdout.write(`${JSON.stringify(v)}\n`);
  switch (cmd) {
    case 'init': {
      const { values } = parseArgs({
        args: rest,
        options: {
          dir: { type: 'string' }, node: { type: 'string', multiple: true },
          'admin-password': { type: 'string' }, 'admin-password-file': { type: 'string' }, 'admin-password-prompt': { type: 'boolean' },
          'password-hash-cost': { type: 'string' },
        },
      });
      if (!values.dir || !values.node?.length) throw new Error('init needs --dir and at least one --node AZ');
      const secret = unsealSecretFromEnv();
      const adminPassword = await readServerSecret(
        {
          what: 'initial admin password', argvFlag: '--admin-password', argv: values['admin-password'],
          fileFlag: '--admin-password-file', file: values['admin-password-file'], env: ADMIN_PASSWORD_ENV, prompt: values['admin-password-prompt'] === true,
        },
        { program: 'strongroom-hsm', env: process.env, input: process.stdin, output: process.stderr },
      );
      if (values['admin-password-prompt'] && adminPassword === undefined) throw new Error('--admin-password-prompt needs a terminal on standard input');
      const info = await initCluster({
        dir: values.dir, nodes: values.node.map(parseNodeSpec),
        ...(adminPassword ? { initialAdminPassword: adminPassword } : {}), ...(secret ? { unsealSecret: secret } : {}),
        ...(values['password-hash-cost'] !== undefined && { limits: { passwordHashCost: passwordHashCostFlag(values['password-hash-cost']) } }),
      });
      out({ clusterId: info.clusterId, dir: info.dir, nodes: info.nodes, initialAdminPasswordFile: adminPassword ? null : join(info.dir, 'initial-admin-password') });
      return 0;
    }
    case 'node': {
      const { values } = parseArgs({
        args: rest,
        options: {
          'data-dir': { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, az: { type: 'string' }, peers: { type: 'string' },
          shaping: { type: 'string' }, 'latency-ms': { type: 'string' }, 'sync-interval-ms': { type: 'string' },
          'backup-keep': { type: 'string' }, 'backup-max-age-days': { type: 'string' }, 'stop-on-stdin-close': { type: 'boolean' }, ...UNSEAL_OPTIONS,
        },
      });
      if (!values['data-dir']) throw new Error('node needs --data-dir');
      // --unseal-fd 0 reads standard input to its end, which would stop the node at once.
      if (values['stop-on-stdin-close'] && values['unseal-fd'] === '0') throw new Error('--stop-on-stdin-close watches standard input: pass the unseal secret on another descriptor (--unseal-fd 3) or in a file');
      if (values.az) {
        const id = readIdentity(values['data-dir']);
        if (id.az !== values.az) {
          id.az = values.az;
          writeFileSync(join(values['data-dir'], 'node.json'), JSON.stringify(id, null, 2));
        }
      }
      const secret = unsealSecret(values, values['data-dir']);
      const shaping = resolveShaping(values.shaping, values['latency-ms'] !== undefined ? intFlag('--latency-ms', values['latency-ms'], 0, 60_000) : undefined);
      const node = await runNode({
        dataDir: values['data-dir'],
        ...(values.host ? { host: values.host } : {}),
        port: values.port === undefined ? 0 : intFlag('--port', values.port, 0, 65_535),
        peers: values.peers ? values.peers.split(',').filter(Boolean) : [],
        ...(shaping ? { shaping } : {}),
        ...(values['sync-interval-ms'] !== undefined && { syncIntervalMs: intFlag('--sync-interval-ms', values['sync-interval-ms'], MIN_SYNC_INTERVAL_MS, 3_600_000) }),
        ...(secret ? { unsealSecret: secret } : {}),
        backupRetention: {
          ...(values['backup-keep'] !== undefined && { keepLast: intFlag('--backup-keep', values['backup-keep'], 1, 100_000) }),
          ...(values['backup-max-age-days'] !== undefined && { maxAgeDays: intFlag('--backup-max-age-days', values['backup-max-age-days'], 1, 36_500) }),
        },
      });
      out({ event: 'listening', url: node.url, port: node.port, az: node.az, nodeId: node.nodeId, state: node.state, pid: process.pid });
      // Also, when started by another process for its own use (startHsmNode): stop with it, however it ends.
      onStopRequest(() => void node.close().finally(() => process.exit(0)), { stdinClose: values['stop-on-stdin-close'] });
      return -1; // keep running
    }
    case 'add-node': {
      const { values } = parseArgs({
        args: rest,
        options: { 'cluster-dir': { type: 'string' }, 'data-dir': { type: 'string' }, backup: { type: 'string' }, 'donor-data-dir': { type: 'string' }, az: { type: 'string' }, 'node-id': { type: 'string' }, hosts: { type: 'string' } },
      });
      if (!values['cluster-dir'] || !values['data-dir'] || !values.backup || !values['donor-data-dir']) {
        throw new Error('add-node needs --cluster-dir, --data-dir, --backup and --donor-data-dir (a healthy node of the cluster: only its sealed state holds the backup key)');
      }
      out(addNodeFromBackup({
        clusterDir: values['cluster-dir'], dataDir: values['data-dir'], backupFile: values.backup, donorDataDir: values['donor-data-dir'],
        ...(values.az ? { az: values.az } : {}), ...(values['node-id'] ? { nodeId: values['node-id'] } : {}),
        ...(values.hosts ? { hosts: splitList(values.hosts) } : {}),
      }));
      return 0;
    }
    case 'backup': {
      const { values } = parseArgs({ args: rest, options: { 'data-dir': { type: 'string' }, out: { type: 'string' }, ...UNSEAL_OPTIONS } });
      const dataDir = values['data-dir'];
      if (!dataDir) throw new Error('backup needs --data-dir');
      const identity = readIdentity(dataDir);
      const data = loadStateFile(dataDir, resolveUnsealKey(dataDir, identity, unsealSecret(values, dataDir)), identity);
      const path = await writeBackupFile(values.out ?? join(dataDir, 'backups'), data.cluster.backupKey,
        { format: 1, clusterId: identity.clusterId, sourceNodeId: identity.nodeId, createdAt: Date.now(), objects: Object.keys(data.objects).length },
        { cluster: data.cluster, objects: data.objects });
      out({ backup: path });
      return 0;
    }
    case 'audit': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { 'data-dir': { type: 'string' }, ...UNSEAL_OPTIONS } });
      const dataDir = values['data-dir'];
      if (positionals[0] !== 'verify' || !dataDir) throw new Error('usage: strongroom-hsm audit verify --data-dir D [FILE] (the node\'s sealed state holds the audit key and chain head)');
      const file = positionals[1] ?? join(dataDir, 'audit.log');
      checkRegularFileSync(file, 'audit log'); // a clear error for a missing file, and no hang on a FIFO
      const secret = unsealSecret(values, dataDir);
      const r = await verifyNodeAuditLog(dataDir, { file, ...(secret ? { unsealSecret: secret } : {}) });
      out(r);
      return r.ok ? 0 : 2;
    }
    default:
      process.stderr.write(`${USAGE}\n`);
      return cmd === undefined || cmd === '--help' ? 0 : 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`strongroom-hsm: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
