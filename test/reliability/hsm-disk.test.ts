/**
 * HSM node on a full or read-only disk (issue 9): the node's data directory lives on a small tmpfs
 * (mounted by the test; CI runs as root). Filling it, or remounting it read-only, must make writes
 * fail with a clear typed error — never acknowledge a write it could not make durable — and after the
 * disk recovers the node restarts ACTIVE (its sealed state authenticates: nothing torn) with every
 * acknowledged key present.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StrongroomError } from '@strongroom/core';
import { initCluster, startHsmNode, type StartedHsmNode } from '@strongroom/hsm-local';
import { connectHsmNode, type HsmNodeConnection } from '@strongroom/hsm-protocol';
import { ensureHsmLocalBuilt, freePort } from '@strongroom/testing/servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REQUIRE = process.env.STRONGROOM_REQUIRE_ALL_SUITES === '1';
const mnt = mkdtempSync(join(tmpdir(), 'strongroom-hsm-disk-'));
let mounted = false;
let skipReason: string | undefined;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m,mode=0700', 'tmpfs', mnt], { stdio: 'pipe' });
  mounted = true;
} catch (e) {
  skipReason = `cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN): ${(e as Error).message.split('\n')[0]}`;
  if (REQUIRE) throw new Error(`STRONGROOM_REQUIRE_ALL_SUITES=1 but ${skipReason}`);
  console.log(`hsm-disk: skipped — ${skipReason}`);
}

let node: StartedHsmNode | undefined;
let port: number;
let info: Awaited<ReturnType<typeof initCluster>>;
const acked: string[] = [];
const open: HsmNodeConnection[] = [];
const fullDiskMessages: string[] = [];

async function login(user: string, password: string): Promise<HsmNodeConnection> {
  const c = await connectHsmNode({ url: `tls://127.0.0.1:${port}`, trustAnchor: info.trustAnchor, clientCert: info.clientCert });
  open.push(c);
  await c.call('login', { user, password });
  return c;
}

async function restart(): Promise<StartedHsmNode> {
  await node?.kill('SIGKILL');
  node = await startHsmNode({ dataDir: info.nodes[0]!.dataDir, port });
  return node;
}

async function generate(conn: HsmNodeConnection, label: string): Promise<string> {
  const r = await conn.call('key.generate', { type: 'aes', bits: 256, template: { label } });
  if (!('key' in r)) throw new Error('key.generate answered a key pair for an AES key');
  acked.push(r.key.handle);
  return r.key.handle;
}

async function expectAllKeys(): Promise<void> {
  const conn = await login('app', 'app-password-1');
  const have = new Set((await conn.call('key.find', {})).map((k) => k.handle));
  expect(acked.filter((h) => !have.has(h))).toEqual([]);
}

beforeAll(async () => {
  if (!mounted) return;
  ensureHsmLocalBuilt();
  info = await initCluster({ dir: join(mnt, 'cluster'), nodes: [{ az: 'us-east-1a' }], initialAdminPassword: 'initial-pw-1' });
  port = await freePort();
  await restart();
  const admin = await login('admin', 'initial-pw-1');
  await admin.call('user.changePassword', { newPassword: 'admin-password-1' });
  await admin.call('user.create', { user: 'app', role: 'crypto-user', password: 'app-password-1' });
  const app = await login('app', 'app-password-1');
  for (let i = 0; i < 10; i++) await generate(app, `before-${i}`);
}, 60_000);

afterAll(async () => {
  for (const c of open) c.close();
  await node?.kill('SIGKILL');
  if (mounted) {
    try {
      execFileSync('umount', [mnt], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', mnt], { stdio: 'pipe' });
    }
  }
  rmSync(mnt, { recursive: true, force: true });
});

describe.skipIf(!mounted)('hsm-local node on a failing disk', () => {
  it('full disk: key creation fails with a typed error; after space returns the node restarts intact', async () => {
    const app = await login('app', 'app-password-1');
    // Fill the tmpfs to the last block.
    const filler = join(mnt, 'filler');
    let size = 0;
    for (const chunk of [1 << 20, 1 << 16, 1 << 12, 1 << 9]) {
      for (;;) {
        try {
          writeFileSync(filler, Buffer.alloc(chunk), { flag: 'a' });
          size += chunk;
        } catch {
          break;
        }
      }
    }
    expect(size).toBeGreaterThan(0);
    const errors: unknown[] = [];
    for (let i = 0; i < 20 && errors.length < 3; i++) await generate(app, `full-${i}`).catch((e: unknown) => errors.push(e));
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) {
      expect(StrongroomError.isInstance(e, 'IO_ERROR')).toBe(true);
      fullDiskMessages.push((e as Error).message);
      console.log(`full disk → ${(e as StrongroomError).code}: ${(e as Error).message}`);
    }
    unlinkSync(filler);
    expect((await restart()).state).toBe('ACTIVE');
    await expectAllKeys();
    await generate(await login('app', 'app-password-1'), 'after-full');
    await expectAllKeys();
  });

  it('read-only data directory: the node refuses to start, with a typed error; remounted read-write it starts intact', async () => {
    // A tmpfs cannot be remounted read-only while the node holds files open for writing, so the node
    // is stopped first (SIGKILL: no clean shutdown) and started against the read-only directory.
    await node?.kill('SIGKILL');
    node = undefined;
    execFileSync('mount', ['-o', 'remount,ro', mnt], { stdio: 'pipe' });
    let error: unknown;
    try {
      error = await startHsmNode({ dataDir: info.nodes[0]!.dataDir, port, startTimeoutMs: 10_000 }).then(
        (n) => ((node = n), undefined),
        (e: unknown) => e,
      );
    } finally {
      await (node as StartedHsmNode | undefined)?.kill('SIGKILL');
      node = undefined;
      execFileSync('mount', ['-o', 'remount,rw', mnt], { stdio: 'pipe' });
    }
    expect(StrongroomError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/EROFS|read-only/i);
    console.log(`read-only disk → ${(error as StrongroomError).code}: ${(error as Error).message.slice(0, 300)}`);
    expect((await restart()).state).toBe('ACTIVE');
    await expectAllKeys();
  });

  // A write that fails for lack of space reaches the client as IO_ERROR naming the cause (ENOSPC).
  it('the full-disk error names its cause (no space left on the device)', async () => {
    expect(fullDiskMessages.length).toBeGreaterThan(0);
    for (const m of fullDiskMessages) expect(m).toMatch(/ENOSPC|no space|disk full/i);
  });
});
