/**
 * Local-server starter: Ceph's RADOS Gateway (RGW), a production S3 implementation, as a throwaway
 * single-host endpoint for tests, `strongroom dev --s3 rgw` and benchmarks. One monitor, one OSD on
 * the in-memory object store, authentication between daemons off, RGW bound to 127.0.0.1, all state
 * in one temporary directory; `close()` (also called when the start fails, and at process exit)
 * kills every process it started and removes the directory.
 *
 * Ceph configuration reference: https://docs.ceph.com/en/pacific/rados/configuration/ and
 * https://docs.ceph.com/en/pacific/radosgw/config-ref/ — the settings that matter here:
 *  - `auth … required = none` with `ms mon client mode = crc secure` / `ms client mode = crc secure`
 *    (without the last two, radosgw retries its monitor authentication forever);
 *  - `paxos propose interval` / `paxos min wait` lowered so that RGW's pool creation does not wait
 *    for the default batching interval;
 *  - `osd pool default size = 1` with `mon allow pool size one` (one OSD), small default pg counts;
 *  - `rgw crypt require ssl = false`, so SSE-C works over plain HTTP on 127.0.0.1;
 *  - `rgw multipart min part size` lowered to 64 KiB (AWS: 5 MiB) so tests can use small parts.
 * Debian packages: `apt-get install --no-install-recommends radosgw ceph-mon ceph-osd`.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import { freePort } from './hsm-cluster';
import { spawnTied } from './tied-spawn';

export const RGW_APT_PACKAGES = ['radosgw', 'ceph-mon', 'ceph-osd'] as const;
export const RGW_INSTALL_HINT = `apt-get install -y --no-install-recommends ${RGW_APT_PACKAGES.join(' ')}`;
const BINARIES = ['monmaptool', 'osdmaptool', 'ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin'];

function onPath(bin: string): boolean {
  const dirs = (process.env.PATH ?? '/usr/bin:/bin').split(delimiter);
  return dirs.some((d) => {
    try {
      return statSync(join(d, bin)).isFile();
    } catch {
      return false;
    }
  });
}

/** undefined when RGW can be started here, else why not (the missing programs and the apt-get line). */
export function rgwUnavailable(): string | undefined {
  const missing = BINARIES.filter((b) => !onPath(b));
  return missing.length ? `Ceph RGW is not installed (missing ${missing.join(', ')}): ${RGW_INSTALL_HINT}` : undefined;
}

export interface StartRgwOptions {
  /** Capacity of the in-memory OSD. Default 2 GiB (memory is used only as objects are written). */
  memoryBytes?: number;
  /** Smallest multipart part RGW accepts (all but the last). Default 64 KiB; AWS S3 uses 5 MiB. */
  minPartSize?: number;
  /** Port for the S3 endpoint on 127.0.0.1. Default: a free port. */
  port?: number;
  /** Give up when RGW does not answer within this time. Default 60 s. */
  timeoutMs?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface LocalRgw {
  /** http://127.0.0.1:PORT (path-style addressing). */
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The temporary directory holding configuration, logs and the monitor store. */
  readonly dir: string;
  /** PIDs of the daemons still running. */
  pids(): number[];
  /** Kill every process this start spawned and remove its directory (idempotent). */
  close(): Promise<void>;
}

function run(bin: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new StrongroomError('IO_ERROR', `${bin} ${args[0] ?? ''} failed: ${String(stderr).trim().split('\n').slice(-3).join(' | ') || error.message}`, { cause: error }));
      else resolve(String(stdout));
    });
  });
}

function configFile(o: { dir: string; fsid: string; monPort: number; port: number; memoryBytes: number; minPartSize: number }): string {
  const d = o.dir;
  return `[global]
fsid = ${o.fsid}
mon host = v2:127.0.0.1:${o.monPort}
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
ms bind msgr1 = false
ms mon client mode = crc secure
ms client mode = crc secure
osd objectstore = memstore
memstore device bytes = ${o.memoryBytes}
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd pool default pg num = 8
osd pool default pgp num = 8
mon max pg per osd = 1000
paxos propose interval = 0.1
paxos min wait = 0.01
run dir = ${d}/run
admin socket = ${d}/run/$name.asok
log file = ${d}/log/$name.log
mon data = ${d}/mon/$name
osd data = ${d}/osd/$name
rgw data = ${d}/rgw
rgw frontends = beast endpoint=127.0.0.1:${o.port}
rgw crypt require ssl = false
rgw multipart min part size = ${o.minPartSize}
`;
}

function parseUser(json: string): { accessKeyId: string; secretAccessKey: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new StrongroomError('IO_ERROR', 'radosgw-admin user create printed no JSON', { cause: error });
  }
  const keys = (parsed as { keys?: Array<{ access_key?: unknown; secret_key?: unknown }> }).keys?.[0];
  if (typeof keys?.access_key !== 'string' || typeof keys.secret_key !== 'string') {
    throw new StrongroomError('IO_ERROR', 'radosgw-admin user create printed no S3 key');
  }
  return { accessKeyId: keys.access_key, secretAccessKey: keys.secret_key };
}

async function rgwAnswers(endpoint: string): Promise<boolean> {
  try {
    const r = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    return r.status === 200;
  } catch {
    return false;
  }
}

/**
 * Start a one-host Ceph cluster with RGW and an S3 user (random access key and secret).
 * @example
 * const rgw = await startRgw();
 * const s3 = new S3Client({ endpoint: rgw.endpoint, region: rgw.region, forcePathStyle: true,
 *   credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey } });
 * // … await rgw.close();
 * @throws StrongroomError UNSUPPORTED when the Ceph programs are not installed (the message has the
 *   apt-get line); IO_ERROR when a daemon fails or RGW does not answer in time.
 */
export async function startRgw(options: StartRgwOptions = {}): Promise<LocalRgw> {
  const unavailable = rgwUnavailable();
  if (unavailable) throw new StrongroomError('UNSUPPORTED', unavailable);
  const log = options.log ?? (() => {});
  const timeoutMs = options.timeoutMs ?? 60_000;
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-rgw-'));
  const children: ChildProcess[] = [];
  let closed = false;
  const killAll = (signal: NodeJS.Signals) => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill(signal);
  };
  const onExit = () => {
    killAll('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  const close = async () => {
    if (closed) return;
    closed = true;
    process.removeListener('exit', onExit);
    const exited = children.map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => c.once('exit', () => r()))));
    killAll('SIGTERM');
    const grace = setTimeout(() => killAll('SIGKILL'), 3000);
    await Promise.all(exited);
    clearTimeout(grace);
    rmSync(dir, { recursive: true, force: true });
  };
  const daemon = (bin: string, args: string[]) => {
    // Tied to this process: SIGTERM when it dies, also by SIGKILL (close() and the exit handler cannot run then).
    const c = spawnTied(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    children.push(c);
    return { child: c, stderr: () => stderr };
  };

  try {
    for (const sub of ['run', 'log', 'mon', 'osd/osd.0', 'rgw']) mkdirSync(join(dir, sub), { recursive: true });
    const [monPort, port] = await Promise.all([freePort(), options.port ? Promise.resolve(options.port) : freePort()]);
    const fsid = randomUUID();
    const conf = join(dir, 'ceph.conf');
    writeFileSync(
      conf,
      configFile({ dir, fsid, monPort, port, memoryBytes: options.memoryBytes ?? 2 * 1024 ** 3, minPartSize: options.minPartSize ?? 64 * 1024 }),
    );
    const step = Math.max(10_000, timeoutMs / 2);
    log(`Ceph: state in ${dir}, monitor on 127.0.0.1:${monPort}`);
    // The initial OSD map already holds osd.0, so no `ceph osd new` round trip is needed.
    await run('monmaptool', ['--create', '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, '--fsid', fsid, join(dir, 'monmap')], step);
    await run('osdmaptool', ['--createsimple', '1', '--clobber', join(dir, 'osdmap'), '-c', conf], step);
    await run('ceph-mon', ['--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap'), '--osdmap', join(dir, 'osdmap'), '-c', conf], step);
    const mon = daemon('ceph-mon', ['-f', '-i', 'a', '-c', conf]);
    await run('ceph-osd', ['-i', '0', '--mkfs', '--osd-uuid', randomUUID(), '-c', conf], step);
    const osd = daemon('ceph-osd', ['-f', '-i', '0', '-c', conf]);
    log(`Ceph: RGW on 127.0.0.1:${port}`);
    const rgw = daemon('radosgw', ['-f', '-n', 'client.rgw', '-c', conf]);
    const endpoint = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const [name, d] of [['ceph-mon', mon], ['ceph-osd', osd], ['radosgw', rgw]] as const) {
        if (d.child.exitCode !== null || d.child.signalCode !== null) {
          throw new StrongroomError('IO_ERROR', `${name} exited (${d.child.exitCode ?? d.child.signalCode}) during start: ${d.stderr().trim().split('\n').slice(-3).join(' | ')} (logs were in ${dir}/log)`);
        }
      }
      if (await rgwAnswers(endpoint)) break;
      if (Date.now() > deadline) throw new StrongroomError('IO_ERROR', `RGW did not answer on ${endpoint} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // radosgw-admin generates the keys and prints them (never on argv).
    const created = await run('radosgw-admin', ['-c', conf, 'user', 'create', '--uid', 'strongroom', '--display-name', 'strongroom', '--gen-access-key', '--gen-secret'], step);
    const user = parseUser(created);
    const { accessKeyId, secretAccessKey } = user;
    log('Ceph: RGW ready');
    return {
      endpoint,
      port,
      region: 'us-east-1',
      accessKeyId,
      secretAccessKey,
      dir,
      pids: () => children.filter((c) => c.exitCode === null && c.signalCode === null && c.pid !== undefined).map((c) => c.pid!),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
