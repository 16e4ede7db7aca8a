/**
 * A node started with startHsmNode (tests, the dev stack, benches) must not outlive the process that
 * started it. That process holds the other end of the node's standard input; when it dies — even by
 * SIGKILL, which runs no cleanup — the pipe closes and the node stops, instead of serving on as an
 * orphan that keeps its port, its CPU (peer sync, audit sealing) and its unsealed keys in memory.
 * A node run by hand (`strongroom-hsm node`, no `--stop-on-stdin-close`) is not tied to anything.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultCliPath, initCluster, type ClusterInfo } from '../src/index';
import { freePort } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'hsm-parent-death-'));
let info: ClusterInfo;
const leftovers: number[] = [];
afterAll(() => {
  for (const pid of leftovers) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (!alive(pid)) return true;
  return !alive(pid);
}

async function cluster(): Promise<ClusterInfo> {
  info ??= await initCluster({ dir: join(tmp, 'cluster'), nodes: [{ az: 'az-a' }], initialAdminPassword: 'initial-pw-1' });
  return info;
}

/** Run `strongroom-hsm node` on the test cluster's node with `extra` flags; resolves its pid once it listens. */
function runNode(extra: string[]): Promise<{ pid: number; child: ReturnType<typeof spawn> }> {
  return new Promise((resolve, reject) => {
    void Promise.all([cluster(), freePort()]).then(([i, port]) => {
      const child = spawn(process.execPath, [defaultCliPath(), 'node', '--data-dir', i.nodes[0]!.dataDir, '--port', String(port), ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve({ pid: child.pid!, child });
      });
      child.once('exit', (code) => reject(new Error(`exited with ${code}: ${err}`)));
    }, reject);
  });
}

describe('a node started by startHsmNode', () => {
  it('stops when the process that started it is killed with SIGKILL', async () => {
    const info = await cluster();
    const parent = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'start-node-then-wait.mjs'), info.nodes[0]!.dataDir, String(await freePort())], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const nodePid = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { pid: number }).pid);
      });
      parent.once('exit', (code) => reject(new Error(`the parent exited (${code}) before its node started`)));
    });
    leftovers.push(nodePid);
    expect(alive(nodePid)).toBe(true);
    const parentExit = new Promise((r) => parent.once('exit', r));
    parent.kill('SIGKILL');
    await parentExit;
    expect(await gone(nodePid, 10_000)).toBe(true);
  }, 60_000);

  it('is the only kind tied to its standard input: a node run by hand with stdin at end of file keeps serving', async () => {
    // stdio 'ignore' is /dev/null: end of file at the first read.
    const { pid, child } = await runNode([]);
    leftovers.push(pid);
    expect(await gone(pid, 1500)).toBe(false);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }, 60_000);

  it('refuses --stop-on-stdin-close with --unseal-fd 0 (reading the secret would close standard input)', async () => {
    await expect(runNode(['--stop-on-stdin-close', '--unseal-fd', '0'])).rejects.toThrow(/--stop-on-stdin-close watches standard input/);
  }, 60_000);
});
