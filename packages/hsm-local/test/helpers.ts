/** Test helpers: free ports, a 3-node cluster of real processes, logged-in connections. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectHsmNode, freeListenPort, initCluster, startHsmNode, type ClusterInfo, type HsmNodeConnection, type StartedHsmNode } from '../src/index';

/** A port no one else is handed before the node binds it (see src/free-port.ts). */
export const freePort = (): Promise<number> => freeListenPort();

export interface TestCluster {
  info: ClusterInfo;
  tmp: string;
  ports: number[];
  urls: string[];
  nodes: Array<StartedHsmNode | undefined>;
  start(i: number): Promise<StartedHsmNode>;
  connect(i: number): Promise<HsmNodeConnection>;
  login(i: number, user: string, password: string): Promise<HsmNodeConnection>;
  stopAll(): Promise<void>;
}

export const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];

export async function startTestCluster(opts: { syncIntervalMs?: number; limits?: Parameters<typeof initCluster>[0]['limits'] } = {}): Promise<TestCluster> {
  const tmp = mkdtempSync(join(tmpdir(), 'hsm-local-'));
  // The lowest password hash cost unless a test sets one: these passwords are in the source.
  const info = await initCluster({ dir: join(tmp, 'cluster'), nodes: AZS.map((az) => ({ az })), initialAdminPassword: 'initial-pw-1', limits: { passwordHashCost: 10, ...opts.limits } });
  const ports = await Promise.all(AZS.map(() => freePort()));
  const urls = ports.map((p) => `tls://127.0.0.1:${p}`);
  const opened: HsmNodeConnection[] = [];
  const c: TestCluster = {
    info, tmp, ports, urls, nodes: [],
    async start(i) {
      const n = await startHsmNode({ dataDir: info.nodes[i]!.dataDir, port: ports[i]!, peers: urls.filter((_, j) => j !== i), syncIntervalMs: opts.syncIntervalMs ?? 300 });
      c.nodes[i] = n;
      return n;
    },
    async connect(i) {
      const conn = await connectHsmNode({ url: urls[i]!, trustAnchor: info.trustAnchor, clientCert: info.clientCert });
      opened.push(conn);
      return conn;
    },
    async login(i, user, password) {
      const conn = await c.connect(i);
      await conn.call('login', { user, password });
      return conn;
    },
    async stopAll() {
      for (const o of opened) o.close();
      await Promise.all(c.nodes.map((n) => n?.kill('SIGKILL')));
      rmSync(tmp, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(AZS.map((_, i) => c.start(i)));
  } catch (e) {
    await c.stopAll();
    throw e;
  }
  return c;
}

/** Poll until `fn` returns truthy (convergence checks; no timing assertions). */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 10_000, stepMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
