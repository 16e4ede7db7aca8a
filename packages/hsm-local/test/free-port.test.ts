/**
 * freeListenPort: ports handed out for nodes that bind later must not be ports the kernel gives to
 * anyone else meanwhile (listen(0), outgoing connections), i.e. they lie below the ephemeral range.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freeListenPort } from '../src/index';

const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

describe('freeListenPort', () => {
  it('hands out distinct ports below the ephemeral range that can be bound', async () => {
    const ports = await Promise.all(Array.from({ length: 50 }, () => freeListenPort()));
    expect(new Set(ports).size).toBe(50);
    for (const p of ports) expect(p).toBeLessThan(low);
    const servers = await Promise.all(ports.slice(0, 5).map(listen));
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('never hands out a port something is listening on', async () => {
    // Occupy a stretch of the range the picker draws from, then draw many times.
    const held: net.Server[] = [];
    for (let p = 10_000; p < 10_200; p++) held.push(await listen(p).catch(() => undefined as never));
    try {
      const ports = await Promise.all(Array.from({ length: 200 }, () => freeListenPort()));
      for (const p of ports) expect(held.some((s) => s && (s.address() as net.AddressInfo).port === p)).toBe(false);
    } finally {
      await Promise.all(held.filter(Boolean).map((s) => new Promise((r) => s.close(r))));
    }
  });
});
