/**
 * A network partition as the client sees it: the path to one node goes silent without closing (no
 * FIN, no RST — what a cut cable or a dropped route looks like to TCP, RFC 9293 §3.8.3). A TCP relay
 * in front of node 0 stops forwarding in both directions on command, keeping both sockets open.
 * Under load the cluster client must notice (liveness probe, node-link.ts), fail the stuck requests
 * over to the other nodes and lose none. test/netns runs the same scenario on real links.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHsmCluster } from '../src/cluster/index';
import { APP, startProcCluster, type ProcCluster } from './test-cluster';

/** A relay to `port` that can be made to swallow every byte, both ways, without closing anything. */
function blackholeRelay(port: number): Promise<{ url: string; cut(): void; heal(): void; close(): Promise<void> }> {
  let cut = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect({ host: '127.0.0.1', port });
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    inbound.on('data', (d) => void (cut || outbound.write(d)));
    outbound.on('data', (d) => void (cut || inbound.write(d)));
    inbound.on('end', () => void (cut || outbound.end()));
    outbound.on('end', () => void (cut || inbound.end()));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const p = (server.address() as net.AddressInfo).port;
      resolve({
        url: `tls://127.0.0.1:${p}`,
        cut: () => void (cut = true),
        heal: () => void (cut = false),
        close: () => new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r());
        }),
      });
    });
  });
}

let c: ProcCluster;
beforeAll(async () => {
  c = await startProcCluster();
}, 120_000);
afterAll(async () => {
  await c?.stopAll();
});

describe('cluster client under a silent partition', () => {
  it('fails requests on a node that stopped answering over to the others: 0 failed operations', async () => {
    const relay = await blackholeRelay(Number(c.urls[0]!.split(':').pop()));
    const hsm = await connectHsmCluster({
      nodes: [{ url: relay.url, az: c.azs[0] }, { url: c.urls[1]!, az: c.azs[1] }, { url: c.urls[2]!, az: c.azs[2] }],
      trustAnchor: c.info.trustAnchor, clientCert: c.info.clientCert, ...APP, livenessMs: 500, failoverTimeoutMs: 15_000,
    });
    try {
      const key = await hsm.generateAesKey({ label: 'partition', bits: 256 });
      let ops = 0;
      const errors: string[] = [];
      let running = true;
      const aad = Buffer.from('p');
      const worker = async () => {
        while (running) {
          const pt = randomBytes(16);
          try {
            const ct = await hsm.aesGcmEncrypt(key, pt, aad);
            expect(Buffer.from(await hsm.aesGcmDecrypt(key, { ...ct, aad })).equals(pt)).toBe(true);
          } catch (e) {
            errors.push((e as Error).message);
          }
          ops++;
        }
      };
      const until = async (n: number) => {
        for (let i = 0; ops < n && i < 1200; i++) await new Promise((r) => setTimeout(r, 50));
        expect(ops).toBeGreaterThanOrEqual(n);
      };
      const workers = Array.from({ length: 6 }, worker);
      await until(100);
      // Node 0 must be carrying load when the path goes silent, or the test shows nothing.
      expect(hsm.health()[0]!.healthy).toBe(true);
      relay.cut();
      for (let i = 0; hsm.health()[0]!.healthy && i < 600; i++) await new Promise((r) => setTimeout(r, 50));
      expect(hsm.health()[0]!.healthy).toBe(false); // noticed, although no connection closed
      await until(ops + 300);
      relay.heal();
      await until(ops + 100);
      running = false;
      await Promise.all(workers);
      expect(errors).toEqual([]);
    } finally {
      await hsm.close();
      await relay.close();
    }
  }, 120_000);
});
