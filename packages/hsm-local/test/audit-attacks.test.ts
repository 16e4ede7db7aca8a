/**
 * Attacks on the audit log of a real node process (CloudHSM audit logs: "Understanding AWS CloudHSM
 * audit logs", https://docs.aws.amazon.com/cloudhsm/latest/userguide/get-hsm-audit-logs-using-cloudwatch.html):
 * dropping the last records, flooding it before login, a record too large for tail recovery,
 * malformed requests and imports that leave no trace.
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHsmNode, initCluster, loadCertificateAuthority, startHsmNode, verifyNodeAuditLog, wire, type ClusterInfo, type StartedHsmNode } from '../src/index';
import { freePort } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'hsm-audit-'));
let info: ClusterInfo;
let port: number;
let node: StartedHsmNode | undefined;
const log = () => join(info.nodes[0]!.dataDir, 'audit.log');
const start = async () => (node = await startHsmNode({ dataDir: info.nodes[0]!.dataDir, port }));
const running = async () => (node && !node.exited ? node : start());
const connect = () => connectHsmNode({ url: `tls://127.0.0.1:${port}`, trustAnchor: info.trustAnchor, clientCert: info.clientCert });

beforeAll(async () => {
  info = await initCluster({ dir: join(tmp, 'cluster'), nodes: [{ az: 'az-a' }], initialAdminPassword: 'initial-pw-1' });
  port = await freePort();
  await start();
  const admin = await connect();
  await admin.call('login', { user: 'admin', password: 'initial-pw-1' });
  await admin.call('user.changePassword', { newPassword: 'admin-pass-1' });
  for (let i = 0; i < 5; i++) await admin.call('user.create', { user: `app${i}`, role: 'crypto-user', password: 'app-pass-123' });
  admin.close();
}, 60_000);

afterAll(async () => {
  await node?.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

describe('audit log attacks', () => {
  it('dropping the last records of the log is detected, offline and at the next start', async () => {
    await node!.stop();
    const dataDir = info.nodes[0]!.dataDir;
    expect((await verifyNodeAuditLog(dataDir)).ok).toBe(true);
    const lines = readFileSync(log(), 'utf8').trimEnd().split('\n');
    writeFileSync(log(), `${lines.slice(0, -3).join('\n')}\n`);
    const r = await verifyNodeAuditLog(dataDir);
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.problem)).toContain('truncated');
    await start();
    await node!.stop();
    const after = readFileSync(log(), 'utf8');
    expect(after).toContain('"op":"audit.truncated"');
    expect((await verifyNodeAuditLog(dataDir)).problems.map((p) => p.problem)).toContain('gap');
  });

  it('a node killed at any instant restarts without reading as truncation (the log may run ahead of the sealed head)', async () => {
    const dataDir = info.nodes[0]!.dataDir;
    const cuts = () => readFileSync(log(), 'utf8').split('\n').filter((l) => l.includes('"op":"audit.truncated"')).length;
    const before = existsSync(log()) ? cuts() : 0;
    for (let round = 0; round < 3; round++) {
      await running();
      const conn = await connect();
      await conn.call('login', { user: 'admin', password: 'admin-pass-1' });
      const work = Array.from({ length: 30 }, (_, i) => conn.call('user.list', {}).then(() => (i === 10 + round * 7 ? node!.kill('SIGKILL') : undefined)).catch(() => undefined));
      await Promise.all(work);
      await node!.kill('SIGKILL');
      conn.close();
      await start();
      await node!.stop();
      expect(cuts()).toBe(before);
    }
    const r = await verifyNodeAuditLog(dataDir);
    expect(r.problems.filter((p) => p.problem !== 'gap' && p.problem !== 'broken-chain')).toEqual([]);
  });

  it('four 0.9 MB fields sent before login add at most a few KiB to the log', async () => {
    await start();
    const before = statSync(log()).size;
    const conn = await connect();
    const big = 'x'.repeat(900_000);
    for (const [op, args] of [['login', { user: big, password: 'p' }], [big, {}], ['key.find', { label: big }], ['user.create', { user: big, role: big }]] as const) {
      await conn.callUnchecked(op, args).catch(() => undefined);
    }
    conn.close();
    await node!.stop();
    expect(statSync(log()).size - before).toBeLessThan(16 * 1024);
  });

  it('a node whose last audit record is over 256 KiB restarts', async () => {
    await start();
    const conn = await connect();
    await conn.call('login', { user: 'y'.repeat(300_000), password: 'p' }).catch(() => undefined);
    conn.close();
    await node!.stop();
    expect((await start()).state).toBe('ACTIVE');
  });

  it('malformed requests and unknown operations are logged', async () => {
    await running();
    const ca = loadCertificateAuthority(readFileSync(join(info.dir, 'ca.crt'), 'utf8'), readFileSync(join(info.dir, 'ca.key'), 'utf8'));
    const cert = ca.issue(`client:${info.clusterId}`, 'client');
    const sock = tls.connect({ host: '127.0.0.1', port, ca: info.trustAnchor, cert: cert.certPem, key: cert.keyPem, servername: 'localhost' });
    await new Promise<void>((r, j) => sock.once('secureConnect', () => r()).once('error', j));
    const replies = new Promise<void>((r) => {
      let n = 0;
      sock.on('data', () => ++n >= 1 && r());
    });
    sock.write(wire.encodeFrame(wire.FRAME_REQUEST, 7, 'not an object'));
    await replies;
    sock.destroy();
    const conn = await connect();
    await conn.callUnchecked('no.such.op', {}).catch(() => undefined);
    await conn.call('user.list', {}).catch(() => undefined); // refused: not logged in
    conn.close();
    await node!.stop();
    const recs = readFileSync(log(), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { op: string; response: string });
    expect(recs.find((r) => r.op === 'request.malformed')?.response).toBe('ERROR:MALFORMED');
    expect(recs.find((r) => r.op === 'no.such.op')?.response).toBe('ERROR:UNSUPPORTED');
    expect(recs.filter((r) => r.op === 'user.list').at(-1)?.response).toBe('ERROR:NOT_LOGGED_IN');
  });

  it('every sync.import record names the imported object', async () => {
    await running();
    const ca = loadCertificateAuthority(readFileSync(join(info.dir, 'ca.crt'), 'utf8'), readFileSync(join(info.dir, 'ca.key'), 'utf8'));
    const peer = ca.issue('node:peer-test', 'server+client', { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    const conn = await connectHsmNode({ url: `tls://127.0.0.1:${port}`, trustAnchor: info.trustAnchor, clientCert: { certPem: peer.certPem, keyPem: peer.keyPem } });
    const [masked] = await conn.call('sync.get', { ids: ['u:app3'] });
    await conn.call('sync.import', { masked: masked as never });
    conn.close();
    await node!.stop();
    const rec = readFileSync(log(), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { op: string; detail: unknown }).filter((r) => r.op === 'sync.import');
    expect(rec.length).toBeGreaterThan(0);
    expect(JSON.stringify(rec.at(-1)!.detail)).toContain('u:app3');
    appendFileSync(log(), ''); // the log stays a valid file
  });
});
