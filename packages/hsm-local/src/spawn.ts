/**
 * Start a node as a real child process (`node dist/cli.mjs node …`) for tests, the dev stack and
 * benches. The child prints one JSON line `{"event":"listening",…}` on stdout once it serves. It is
 * tied to this process (`--stop-on-stdin-close` over a pipe this process never writes to): when this
 * process ends, however it ends (SIGKILL too), the node stops instead of serving on as an orphan.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StrongroomError } from '@strongroom/core';
import { UNSEAL_SECRET_ENV } from './unseal';

/** Options of {@link startHsmNode}: data directory, address, peers, shaping, unseal secret, start timeout. */
export interface StartHsmNodeOptions {
  dataDir: string;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /**
   * A command the node is started under, e.g. `['ip', 'netns', 'exec', 'az-a']` to run it in a
   * network namespace (ip-netns(8)); the node command line is appended to it.
   */
  launcher?: string[];
  /** Fixed port (recommended: a node must come back at the same URL after a restart). 0 = ephemeral. */
  port?: number;
  peers?: string[];
  /** Shaping profile name (`hsm1.medium`, `hsm2m.medium`) — off by default. */
  shaping?: string;
  latencyMs?: number;
  syncIntervalMs?: number;
  /** The node's external unseal secret, passed in the child's environment (never on argv). */
  unsealSecret?: string;
  /** Path to the built CLI (default: this package's dist/cli.mjs). */
  cliPath?: string;
  startTimeoutMs?: number;
}

/** A node running as a child process: its URL, port, AZ, node id, pid and state. */
export interface StartedHsmNode {
  url: string;
  port: number;
  az: string;
  nodeId: string;
  pid: number;
  state: 'ACTIVE' | 'TAMPERED';
  /** Graceful stop (SIGTERM, then SIGKILL after 3 s). */
  stop(): Promise<void>;
  /** Send a signal (e.g. 'SIGKILL') and resolve when the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  readonly exited: boolean;
}

function here(): string {
  return typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
}

/** Path of the `strongroom-hsm` command in this installation. */
export function defaultCliPath(): string {
  const d = dirname(here());
  for (const c of [join(d, 'cli.mjs'), join(d, '..', 'dist', 'cli.mjs')]) if (existsSync(c)) return c;
  throw new StrongroomError('IO_ERROR', `@strongroom/hsm-local: dist/cli.mjs not found near ${d}; build the package first (npx turbo run build --filter=@strongroom/hsm-local)`);
}

/**
 * Spawn one node process and wait until it listens.
 *
 * @example
 * const node = await startHsmNode({ dataDir: cluster.nodes[0].dataDir, port: 2223, peers: ['tls://127.0.0.1:2224'] });
 * // … node.url, node.az, node.pid …
 * await node.kill('SIGKILL'); // or node.stop()
 * @throws StrongroomError IO_ERROR if the process exits or does not report within the timeout.
 */
export function startHsmNode(options: StartHsmNodeOptions): Promise<StartedHsmNode> {
  const args = [options.cliPath ?? defaultCliPath(), 'node', '--data-dir', options.dataDir, '--port', String(options.port ?? 0), '--stop-on-stdin-close'];
  if (options.host !== undefined) args.push('--host', options.host);
  if (options.peers?.length) args.push('--peers', options.peers.join(','));
  if (options.shaping) args.push('--shaping', options.shaping);
  if (options.latencyMs !== undefined) args.push('--latency-ms', String(options.latencyMs));
  if (options.syncIntervalMs !== undefined) args.push('--sync-interval-ms', String(options.syncIntervalMs));
  const env = { ...process.env };
  if (options.unsealSecret !== undefined) env[UNSEAL_SECRET_ENV] = options.unsealSecret;
  const [command, ...prefix] = [...(options.launcher ?? []), process.execPath];
  const child: ChildProcess = spawn(command!, [...prefix, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
  // Never written to: its end closing (this process gone) is what stops the node.
  child.stdin!.on('error', () => undefined);
  let exited = false;
  const exitPromise = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new StrongroomError('IO_ERROR', `hsm node did not start within ${options.startTimeoutMs ?? 15000} ms: ${stderr}`));
    }, options.startTimeoutMs ?? 15000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new StrongroomError('IO_ERROR', `hsm node exited with code ${code}: ${stderr}`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let ev: { event?: string; url: string; port: number; az: string; nodeId: string; state: 'ACTIVE' | 'TAMPERED' };
      try {
        ev = JSON.parse(line) as typeof ev;
      } catch {
        return;
      }
      if (ev.event !== 'listening') return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      resolve({
        url: ev.url, port: ev.port, az: ev.az, nodeId: ev.nodeId, pid: child.pid!, state: ev.state,
        get exited() {
          return exited;
        },
        async kill(signal: NodeJS.Signals = 'SIGKILL') {
          if (!exited) child.kill(signal);
          await exitPromise;
        },
        async stop() {
          if (exited) return;
          child.kill('SIGTERM');
          const t = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exitPromise;
          clearTimeout(t);
        },
      });
    });
  });
}
