/**
 * Nodes on configured addresses: a node listens where it is told, its certificate names the hosts
 * it is dialed at (RFC 5280 subjectAltName), and a client verifies the host it dials against that
 * certificate (RFC 6125 §6) — a certificate of the same cluster issued for another host is refused.
 * Loopback aliases (127.0.0.2, ::1) stand in for other hosts; test/netns runs nodes on separate
 * network namespaces.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import { afterAll, describe, expect, it } from 'vitest';
import { connectHsmNode, initCluster, runNode, type ClusterInfo, type RunningNode } from '../src/index';
import { nodeCertNames } from '../src/node-dir';

const tmp = mkdtempSync(join(tmpdir(), 'hsm-hosts-'));
const running: RunningNode[] = [];
afterAll(async () => {
  await Promise.all(running.map((n) => n.close()));
  rmSync(tmp, { recursive: true, force: true });
});

async function cluster(name: string, hosts?: string[]): Promise<ClusterInfo> {
  return initCluster({ dir: join(tmp, name), nodes: [{ az: 'az-a', ...(hosts ? { hosts } : {}) }], initialAdminPassword: 'initial-pw-1' });
}

async function start(info: ClusterInfo, host: string): Promise<RunningNode> {
  const n = await runNode({ dataDir: info.nodes[0]!.dataDir, host, port: 0, tamperCheckMs: 60_000 });
  running.push(n);
  return n;
}

/** Dial and ask for liveness; returns 'ok' or the refusal's code:reason and message. */
async function dial(info: ClusterInfo, url: string): Promise<string> {
  try {
    const conn = await connectHsmNode({ url, trustAnchor: info.trustAnchor, clientCert: info.clientCert });
    const st = await conn.call('status', {});
    conn.close();
    return st.state === 'ACTIVE' ? 'ok' : `state ${st.state}`;
  } catch (e) {
    if (!StrongroomError.isInstance(e)) throw e;
    return `${e.code}:${String(e.details?.reason ?? '')} ${e.message}`;
  }
}

describe('node host names and addresses', () => {
  it('a node listens on its configured address and reports it in its URL', async () => {
    const info = await cluster('bind', ['127.0.0.2']);
    const n = await start(info, '127.0.0.2');
    expect(n.url).toBe(`tls://127.0.0.2:${n.port}`);
    expect(await dial(info, n.url)).toBe('ok');
    // It listens there only: the default loopback address has nothing on that port.
    expect(await dial(info, `tls://127.0.0.1:${n.port}`)).toMatch(/^PROVIDER_ERROR:CONNECTION .*ECONNREFUSED/);
  });

  it('attack: a node certificate that does not name the dialed address is refused (was accepted: the client checked "localhost")', async () => {
    // The default certificate names localhost and 127.0.0.1; the node is reached at 127.0.0.2.
    const info = await cluster('wrong-ip');
    const n = await start(info, '127.0.0.2');
    expect(await dial(info, n.url)).toMatch(/^PROVIDER_ERROR:CONNECTION .*127\.0\.0\.2/);
  });

  it('attack: a certificate naming another DNS host is refused; the right name is accepted', async () => {
    const info = await cluster('dns', ['hsm-b.az2.internal']);
    const n = await start(info, '127.0.0.1');
    expect(await dial(info, `tls://127.0.0.1:${n.port}`)).toMatch(/^PROVIDER_ERROR:CONNECTION /);
    expect(await dial(info, `tls://localhost:${n.port}`)).toMatch(/^PROVIDER_ERROR:CONNECTION .*localhost/);
    const ok = await cluster('dns-ok', ['localhost']);
    const m = await start(ok, '127.0.0.1');
    expect(await dial(ok, `tls://localhost:${m.port}`)).toBe('ok');
  });

  it('IPv6: a node on [::1] with a certificate naming ::1 is reached at tls://[::1]:PORT', async () => {
    const info = await cluster('v6', ['::1', 'localhost']);
    const n = await start(info, '::1');
    expect(n.url).toBe(`tls://[::1]:${n.port}`);
    expect(await dial(info, n.url)).toBe('ok');
    const v4only = await cluster('v6-wrong');
    const m = await start(v4only, '::1');
    expect(await dial(v4only, m.url)).toMatch(/^PROVIDER_ERROR:CONNECTION /);
  });

  it('certificate names: IP literals (with or without brackets) become iPAddress, the rest dNSName; junk is refused', () => {
    expect(nodeCertNames(['hsm-a.internal', '198.18.1.2', '[2001:db8::2]', 'LOCALHOST'])).toEqual({
      dnsNames: ['hsm-a.internal', 'localhost'], ipAddresses: ['198.18.1.2', '2001:db8::2'],
    });
    for (const bad of [[], [''], ['a b'], ['198.18.1'], ['x'.repeat(300)], ['-bad.example']]) {
      expect(() => nodeCertNames(bad), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});
