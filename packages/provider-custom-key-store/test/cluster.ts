/**
 * Test helper: a 3-node hsm-local cluster of real processes (3 AZ labels) with an activated admin
 * and the `kmsuser` crypto user a CloudHSM key store logs in as (reference B.6). Builds hsm-local's
 * dist first when it is missing or older than its sources (child processes run built JS).
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { connectHsmNode, initCluster, startHsmNode, type ClusterInfo, type StartedHsmNode } from '@strongroom/hsm-local';

export const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
export const KMSUSER_PASSWORD = 'kmsuser-Passw0rd';
export const ADMIN_PASSWORD = 'admin-password-1';

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

function ensureHsmLocalBuilt(): void {
  const pkg = dirname(createRequire(import.meta.url).resolve('@strongroom/hsm-local/package.json'));
  const cli = join(pkg, 'dist', 'cli.mjs');
  if (existsSync(cli) && statSync(cli).mtimeMs >= newest(join(pkg, 'src'))) return;
  execSync('npx turbo run build --filter=@strongroom/hsm-local --output-logs=errors-only', { cwd: join(pkg, '..', '..'), stdio: 'inherit' });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface TestCluster {
  info: ClusterInfo;
  urls: string[];
  tmp: string;
  start(i: number): Promise<StartedHsmNode>;
  kill(i: number): Promise<void>;
  stopAll(): Promise<void>;
}

export async function startTestCluster(): Promise<TestCluster> {
  ensureHsmLocalBuilt();
  const tmp = mkdtempSync(join(tmpdir(), 'cks-cluster-'));
  const info = await initCluster({ dir: join(tmp, 'cluster'), nodes: AZS.map((az) => ({ az })), initialAdminPassword: 'initial-pw-1' });
  const ports = await Promise.all(AZS.map(() => freePort()));
  const urls = ports.map((p) => `tls://127.0.0.1:${p}`);
  const nodes: Array<StartedHsmNode | undefined> = [];
  const c: TestCluster = {
    info,
    urls,
    tmp,
    async start(i) {
      const n = await startHsmNode({ dataDir: info.nodes[i]!.dataDir, port: ports[i]!, peers: urls.filter((_, j) => j !== i), syncIntervalMs: 300 });
      nodes[i] = n;
      return n;
    },
    async kill(i) {
      await nodes[i]?.kill('SIGKILL');
      nodes[i] = undefined;
    },
    async stopAll() {
      await Promise.all(nodes.map((n) => n?.kill('SIGKILL')));
      rmSync(tmp, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(AZS.map((_, i) => c.start(i)));
    const admin = await connectHsmNode({ url: urls[0]!, trustAnchor: info.trustAnchor, clientCert: info.clientCert });
    await admin.call('login', { user: 'admin', password: 'initial-pw-1' });
    await admin.call('user.changePassword', { newPassword: ADMIN_PASSWORD });
    await admin.call('user.create', { user: 'kmsuser', role: 'crypto-user', password: KMSUSER_PASSWORD });
    admin.close();
    // Server-side sync brings the user to the other nodes.
    for (const url of urls.slice(1)) {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const conn = await connectHsmNode({ url, trustAnchor: info.trustAnchor, clientCert: info.clientCert });
        const ok = await conn.call('login', { user: 'kmsuser', password: KMSUSER_PASSWORD }).then(() => true, () => false);
        conn.close();
        if (ok) break;
        if (Date.now() > deadline) throw new Error(`kmsuser did not reach ${url}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (e) {
    await c.stopAll();
    throw e;
  }
  return c;
}
