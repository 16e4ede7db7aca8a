/**
 * Local-server starter: an hsm-local cluster of real node processes (one per AZ label) with an
 * activated admin and one crypto user, for tests, benchmarks and demos. Builds hsm-local's
 * dist/cli.mjs first when missing or older than its sources.
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type ClusterInfo, freeListenPort, initCluster, type StartedHsmNode, startHsmNode } from '@strongroom/hsm-local';
import { connectHsmNode } from '@strongroom/hsm-protocol';

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export function ensureHsmLocalBuilt(): void {
  const pkg = dirname(createRequire(import.meta.url).resolve('@strongroom/hsm-local/package.json'));
  const cli = join(pkg, 'dist', 'cli.mjs');
  if (existsSync(cli) && statSync(cli).mtimeMs >= newest(join(pkg, 'src'))) return;
  execSync('npx turbo run build --filter=@strongroom/hsm-local --output-logs=errors-only', { cwd: join(pkg, '..', '..'), stdio: 'inherit' });
}

/**
 * A free TCP port on 127.0.0.1 that no listen(0) or outgoing connection will be given before the
 * caller binds it (hsm-local's `freeListenPort`: drawn from below the kernel's ephemeral range).
 */
export const freePort = (): Promise<number> => freeListenPort();

export const DEFAULT_AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
export const DEFAULT_CRYPTO_USER = { user: 'app', password: 'app-password-1' };

export interface StartHsmClusterOptions {
  /** One node per AZ label. Default: three nodes in us-east-1a/b/c. */
  azs?: string[];
  /** The crypto user created for the caller. */
  cryptoUser?: { user: string; password: string };
  /** Further crypto users to create (e.g. `kmsuser` for a custom key store). */
  extraCryptoUsers?: Array<{ user: string; password: string }>;
  /** Server-side sync interval of each node (ms). Default 300. */
  syncIntervalMs?: number;
  /**
   * scrypt cost of the users' passwords (hsm-local's `passwordHashCost`). Default 10, the lowest: the
   * passwords of these clusters are written in code, so hashing them slowly protects nothing and
   * costs every login on every node (a production cluster's default is 14).
   */
  passwordHashCost?: number;
}

export interface LocalHsmCluster {
  info: ClusterInfo;
  urls: string[];
  azs: string[];
  nodes: Array<StartedHsmNode | undefined>;
  cryptoUser: { user: string; password: string };
  adminPassword: string;
  /** (Re)start node i on its original port; `peers: []` starts it isolated (it pulls from nobody). */
  start(i: number, opts?: { peers?: string[] }): Promise<StartedHsmNode>;
  /** SIGKILL node i. */
  kill(i: number): Promise<void>;
  /** Kill every node and delete the cluster directory. */
  stopAll(): Promise<void>;
}

export async function startHsmCluster(options: StartHsmClusterOptions = {}): Promise<LocalHsmCluster> {
  ensureHsmLocalBuilt();
  const azs = options.azs ?? DEFAULT_AZS;
  const cryptoUser = options.cryptoUser ?? DEFAULT_CRYPTO_USER;
  const tmp = mkdtempSync(join(tmpdir(), 'strongroom-hsm-cluster-'));
  const info = await initCluster({ dir: join(tmp, 'cluster'), nodes: azs.map((az) => ({ az })), initialAdminPassword: 'initial-pw-1', limits: { passwordHashCost: options.passwordHashCost ?? 10 } });
  const ports = await Promise.all(azs.map(() => freePort()));
  const urls = ports.map((p) => `tls://127.0.0.1:${p}`);
  const c: LocalHsmCluster = {
    info,
    urls,
    azs,
    nodes: [],
    cryptoUser,
    adminPassword: 'admin-password-1',
    async start(i, opts) {
      const n = await startHsmNode({
        dataDir: info.nodes[i]!.dataDir,
        port: ports[i]!,
        peers: opts?.peers ?? urls.filter((_, j) => j !== i),
        syncIntervalMs: options.syncIntervalMs ?? 300,
      });
      c.nodes[i] = n;
      return n;
    },
    async kill(i) {
      await c.nodes[i]?.kill('SIGKILL');
      c.nodes[i] = undefined;
    },
    async stopAll() {
      await Promise.all(c.nodes.map((n) => n?.kill('SIGKILL')));
      rmSync(tmp, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(azs.map((_, i) => c.start(i)));
    // Activate the admin (first login must change the password), create the crypto users, and wait
    // for server-side sync to bring them to every node.
    const admin = await connectHsmNode({ url: urls[0]!, trustAnchor: info.trustAnchor, clientCert: info.clientCert });
    await admin.call('login', { user: 'admin', password: 'initial-pw-1' });
    await admin.call('user.changePassword', { newPassword: c.adminPassword });
    const users = [cryptoUser, ...(options.extraCryptoUsers ?? [])];
    for (const u of users) await admin.call('user.create', { user: u.user, role: 'crypto-user', password: u.password });
    for (const url of urls.slice(1)) {
      for (const u of users) {
        const deadline = Date.now() + 10_000;
        for (;;) {
          const conn = await connectHsmNode({ url, trustAnchor: info.trustAnchor, clientCert: info.clientCert });
          const ok = await conn.call('login', { user: u.user, password: u.password }).then(
            () => true,
            () => false,
          );
          conn.close();
          if (ok) break;
          if (Date.now() > deadline) throw new Error(`user ${u.user} did not reach ${url}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
    admin.close();
  } catch (e) {
    await c.stopAll();
    throw e;
  }
  return c;
}
