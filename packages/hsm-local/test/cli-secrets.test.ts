/**
 * `strongroom-hsm init` takes the initial admin password without it being on its command line, which
 * every local user can read (proc(5): /proc/<pid>/cmdline, what `ps` shows): from
 * STRONGROOM_HSM_ADMIN_PASSWORD or `--admin-password-file`; `--admin-password P` still works for
 * scripts but warns. Each password is proven by a real login on a node of the new cluster.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { connectHsmNode, defaultCliPath, loadCluster, startHsmNode, type StartedHsmNode } from '../src/index';
import { freePort } from './helpers';

const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'hsm-cli-secrets-'));
const started: StartedHsmNode[] = [];
afterAll(async () => {
  await Promise.all(started.map((n) => n.kill('SIGKILL')));
  rmSync(tmp, { recursive: true, force: true });
});

interface InitOutput { nodes: Array<{ dataDir: string }>; initialAdminPasswordFile: string | null }

async function init(name: string, extra: string[], env: Record<string, string> = {}): Promise<{ dir: string; out: InitOutput; stderr: string }> {
  const dir = join(tmp, name);
  const base = { ...process.env };
  delete base.STRONGROOM_HSM_ADMIN_PASSWORD;
  const { stdout, stderr } = await run(process.execPath, [defaultCliPath(), 'init', '--dir', dir, '--node', 'az-a', ...extra], { env: { ...base, ...env } });
  return { dir, out: JSON.parse(stdout) as InitOutput, stderr };
}

/** Log in as the unactivated admin with `password` on a node of the cluster in `dir`. */
async function loginWorks(dir: string, dataDir: string, password: string): Promise<void> {
  const node = await startHsmNode({ dataDir, port: await freePort() });
  started.push(node);
  const info = loadCluster(dir);
  const conn = await connectHsmNode({ url: node.url, trustAnchor: info.trustAnchor, clientCert: info.clientCert });
  try {
    expect((await conn.callUnchecked<{ mustChangePassword: boolean }>('login', { user: 'admin', password })).mustChangePassword).toBe(true);
  } finally {
    conn.close();
    await node.stop();
  }
}

describe('strongroom-hsm init: the admin password stays off argv', () => {
  it('from STRONGROOM_HSM_ADMIN_PASSWORD: used, no warning, no password file', async () => {
    const { dir, out, stderr } = await init('env', [], { STRONGROOM_HSM_ADMIN_PASSWORD: 'env-admin-pw-1' });
    expect(out.initialAdminPasswordFile).toBeNull();
    expect(stderr).not.toMatch(/warning/);
    await loginWorks(dir, out.nodes[0]!.dataDir, 'env-admin-pw-1');
  }, 120_000);

  it('from --admin-password-file: used (one trailing newline dropped); a world-readable file warns', async () => {
    writeFileSync(join(tmp, 'pw'), 'file-admin-pw-1\n', { mode: 0o600 });
    const { dir, out, stderr } = await init('file', ['--admin-password-file', join(tmp, 'pw')]);
    expect(out.initialAdminPasswordFile).toBeNull();
    expect(stderr).not.toMatch(/warning/);
    await loginWorks(dir, out.nodes[0]!.dataDir, 'file-admin-pw-1');
    writeFileSync(join(tmp, 'pw-open'), 'file-admin-pw-2', { mode: 0o644 });
    const open = await init('file-open', ['--admin-password-file', join(tmp, 'pw-open')]);
    expect(open.stderr).toMatch(/warning: --admin-password-file .*pw-open is readable by every user; chmod 600/);
  }, 120_000);

  it('--admin-password on argv still works but warns that ps shows it', async () => {
    const { out, stderr } = await init('argv', ['--admin-password', 'argv-admin-pw-1']);
    expect(out.initialAdminPasswordFile).toBeNull();
    expect(stderr).toMatch(/warning: --admin-password is visible to every local user \(ps\)/);
  }, 60_000);

  it('--admin-password-prompt without a terminal is refused, not silently random', async () => {
    const failed = await init('prompt', ['--admin-password-prompt']).then(() => '', (e: { stderr: string }) => e.stderr);
    expect(failed).toMatch(/needs a terminal/);
  }, 60_000);
});
