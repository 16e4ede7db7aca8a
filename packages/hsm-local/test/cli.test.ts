/**
 * The `strongroom-hsm` command as an operator runs it: init, node (with a shaping profile),
 * offline backup, add-node from that backup, audit verify.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { StrongroomError } from '@strongroom/core';
import { connectHsmNode, defaultCliPath, loadCluster, MIN_SYNC_INTERVAL_MS, runNode, startHsmNode, type StartedHsmNode } from '../src/index';
import { freePort } from './helpers';

const run = promisify(execFile);
const cli = (...args: string[]) => run(process.execPath, [defaultCliPath(), ...args]);
const tmp = mkdtempSync(join(tmpdir(), 'hsm-cli-'));
const started: StartedHsmNode[] = [];
afterAll(async () => {
  await Promise.all(started.map((n) => n.kill('SIGKILL')));
  rmSync(tmp, { recursive: true, force: true });
});

describe('strongroom-hsm CLI', () => {
  it('init → node → backup → add-node → audit verify', async () => {
    const dir = join(tmp, 'cluster');
    const init = JSON.parse((await cli('init', '--dir', dir, '--node', 'az-a', '--node', 'az-b')).stdout) as { clusterId: string; nodes: Array<{ dataDir: string; az: string }>; initialAdminPasswordFile: string };
    expect(init.nodes.map((n) => n.az)).toEqual(['az-a', 'az-b']);
    for (const f of ['ca.key', 'client.key', 'initial-admin-password']) expect(statSync(join(dir, f)).mode & 0o077).toBe(0);
    expect(existsSync(join(dir, 'backup.key'))).toBe(false); // the backup key lives only in sealed node states
    for (const f of ['unseal.key', 'state.sealed', 'tls/node.key']) expect(statSync(join(init.nodes[0]!.dataDir, f)).mode & 0o077).toBe(0);
    const password = readFileSync(init.initialAdminPasswordFile, 'utf8').trim();
    const info = loadCluster(dir);

    const port = await freePort();
    const n1 = await startHsmNode({ dataDir: init.nodes[0]!.dataDir, port, shaping: 'hsm2m.medium' });
    started.push(n1);
    const admin = await connectHsmNode({ url: n1.url, trustAnchor: info.trustAnchor, clientCert: info.clientCert });
    expect((await admin.callUnchecked<{ mustChangePassword: boolean }>('login', { user: 'admin', password })).mustChangePassword).toBe(true);
    await admin.callUnchecked('user.changePassword', { newPassword: 'admin-pass-1' });
    await admin.callUnchecked('user.create', { user: 'app', role: 'crypto-user', password: 'app-pass-1' });
    admin.close();
    await n1.stop();

    const backup = JSON.parse((await cli('backup', '--data-dir', init.nodes[0]!.dataDir, '--out', join(tmp, 'backups'))).stdout) as { backup: string };
    const added = JSON.parse((await cli('add-node', '--cluster-dir', dir, '--data-dir', join(tmp, 'n3'), '--backup', backup.backup, '--donor-data-dir', init.nodes[1]!.dataDir, '--az', 'az-c')).stdout) as { az: string; nodeId: string };
    expect(added.az).toBe('az-c');
    const n3 = await startHsmNode({ dataDir: join(tmp, 'n3'), port: await freePort() });
    started.push(n3);
    expect(n3.state).toBe('ACTIVE');
    const app = await connectHsmNode({ url: n3.url, trustAnchor: info.trustAnchor, clientCert: info.clientCert });
    await app.callUnchecked('login', { user: 'app', password: 'app-pass-1' });
    const { bytes } = await app.callUnchecked<{ bytes: Buffer }>('random', { length: 16 });
    expect(bytes.length).toBe(16);
    app.close();
    await n3.stop();
    const verify = JSON.parse((await cli('audit', 'verify', '--data-dir', join(tmp, 'n3'))).stdout) as { ok: boolean };
    expect(verify.ok).toBe(true);
  });

  it('init --node AZ=HOST names the host in the node certificate; node --host listens there; add-node --hosts', async () => {
    const dir = join(tmp, 'hosts');
    const init = JSON.parse((await cli('init', '--dir', dir, '--node', 'az-a=127.0.0.2,hsm-a.internal', '--node', 'az-b')).stdout) as { nodes: Array<{ dataDir: string }> };
    const san = (d: string) => new X509Certificate(readFileSync(join(d, 'tls', 'node.crt'))).subjectAltName;
    expect(san(init.nodes[0]!.dataDir)).toBe('DNS:hsm-a.internal, IP Address:127.0.0.2');
    expect(san(init.nodes[1]!.dataDir)).toBe('DNS:localhost, IP Address:127.0.0.1');
    const info = loadCluster(dir);
    const n = await startHsmNode({ dataDir: init.nodes[0]!.dataDir, host: '127.0.0.2', port: await freePort() });
    started.push(n);
    expect(n.url).toBe(`tls://127.0.0.2:${n.port}`);
    const conn = await connectHsmNode({ url: n.url, trustAnchor: info.trustAnchor, clientCert: info.clientCert });
    expect((await conn.call('hello', {})).az).toBe('az-a');
    conn.close();
    await n.stop();
    const backup = JSON.parse((await cli('backup', '--data-dir', init.nodes[0]!.dataDir, '--out', join(tmp, 'hosts-backups'))).stdout) as { backup: string };
    await cli('add-node', '--cluster-dir', dir, '--data-dir', join(tmp, 'hosts-n3'), '--backup', backup.backup, '--donor-data-dir', init.nodes[1]!.dataDir, '--az', 'az-c', '--hosts', '2001:db8::3,hsm-c.internal');
    expect(san(join(tmp, 'hosts-n3'))).toBe('DNS:hsm-c.internal, IP Address:2001:DB8:0:0:0:0:0:3');
    // Restored in place without --hosts: the node keeps the names of its certificate.
    await cli('add-node', '--cluster-dir', dir, '--data-dir', join(tmp, 'hosts-n3'), '--backup', backup.backup, '--donor-data-dir', init.nodes[1]!.dataDir);
    expect(san(join(tmp, 'hosts-n3'))).toBe('DNS:hsm-c.internal, IP Address:2001:DB8:0:0:0:0:0:3');
    const bad = await cli('init', '--dir', join(tmp, 'hosts-bad'), '--node', 'az-a=not a host').then(() => '', (e: { stderr: string }) => e.stderr);
    expect(bad).toMatch(/neither a DNS name nor an IP address/);
  });

  it('rejects an unknown shaping profile and a wrong command', async () => {
    const bad = await cli('node', '--data-dir', join(tmp, 'n3'), '--shaping', 'hsm9.huge').then(() => '', (e: { stderr: string }) => e.stderr);
    expect(bad).toMatch(/unknown shaping profile/);
    const usage = await cli('frobnicate').then(() => '', (e: { stderr: string }) => e.stderr);
    expect(usage).toMatch(/usage:/);
  });

  it('refuses a numeric flag that is not a whole number in range, naming it, before starting anything', async () => {
    // Before: Number() took them as given — `--sync-interval-ms abc` or `0` started a node that polled
    // its peers every millisecond (setInterval runs NaN and 0 as 1 ms); `--latency-ms x` shaped with NaN.
    const dir = join(tmp, 'no-such-node');
    for (const [flag, value] of [['--port', 'abc'], ['--port', '65536'], ['--port', '0x50'], ['--sync-interval-ms', 'abc'], ['--sync-interval-ms', '0'], ['--sync-interval-ms', '10'],
      ['--latency-ms', 'x'], ['--latency-ms', '1e3'], ['--backup-keep', '0'], ['--backup-max-age-days', '1.5']] as const) {
      const err = (await cli('node', '--data-dir', dir, flag, value).then(() => undefined, (e: unknown) => e)) as { code: number; stderr: string } | undefined;
      expect(err?.code, `${flag} ${value}`).toBe(1);
      expect(err?.stderr).toMatch(new RegExp(`${flag} ${value.replace('.', '\\.')}: must be a whole number from \\d+ to \\d+`));
    }
    // The library refuses a sync interval that would make it spin, too.
    const e = await runNode({ dataDir: dir, syncIntervalMs: 0 }).catch((x: unknown) => x);
    expect((e as StrongroomError).code).toBe('INVALID_ARGUMENT');
    expect(MIN_SYNC_INTERVAL_MS).toBeGreaterThan(0);
  });
});
