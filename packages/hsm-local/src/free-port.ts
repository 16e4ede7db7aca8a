/**
 * Ports for nodes that must know each other's address before any of them listens (a node's peers
 * are fixed at start). "Listen on port 0, read the port, close, hand it out" races: until the node
 * binds it, the kernel may give the same port to anyone else's listen(0) or outgoing connection, all
 * of which draw from the ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range, default
 * 32768–60999; IANA and most other systems: 49152–65535, RFC 6335 §6). These ports are drawn at
 * random from below that range, where the kernel never hands out a port by itself, and checked free
 * on the host first; a process never hands out the same port twice.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { randomInt } from 'node:crypto';

/** The lowest port the kernel may pick on its own (the start of the ephemeral range). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 0 && low <= 65535) return low;
  } catch {
    // not Linux: the IANA dynamic range
  }
  return 49152;
}

const FLOOR = 10_000;
const handedOut = new Set<number>();

function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

function osPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A TCP port free on `host` now that no listen(0) or outgoing connection will be given before the
 * caller binds it (see the module comment). Falls back to a port the OS picks when the range below
 * the ephemeral one is too small to draw from.
 */
export async function freeListenPort(host = '127.0.0.1'): Promise<number> {
  const top = ephemeralLow() - 1;
  if (top - FLOOR < 1000) return osPort(host);
  for (let attempt = 0; attempt < 64; attempt++) {
    const port = randomInt(FLOOR, top + 1);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await canListen(host, port)) return port;
  }
  return osPort(host);
}
