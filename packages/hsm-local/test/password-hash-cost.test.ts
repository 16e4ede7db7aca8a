/**
 * The cluster's password hash cost (`passwordHashCost`, scrypt log2 N): the default, what init
 * accepts and refuses (nothing written on refusal), that new and changed passwords take the
 * cluster's cost on every node, that a stored hash with parameters no cluster cost produces never
 * verifies (no login may cost unbounded memory), and that an unknown user's login costs as much as a
 * known user's wrong password at the cluster's cost (no user-name enumeration by timing).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { StrongroomError } from '@strongroom/core';
import { DEFAULT_LIMITS, defaultCliPath, initCluster, type ClusterLimits } from '../src/index';
import { DEFAULT_PASSWORD_HASH_COST, hashPassword, verifyPassword } from '../src/passwords';
import { loadStateFile, readIdentity, type UserObject } from '../src/state';
import { resolveUnsealKey } from '../src/unseal';
import { startTestCluster, type TestCluster } from './helpers';

const tmp = mkdtempSync(join(tmpdir(), 'hsm-hash-cost-'));
const clusters: TestCluster[] = [];
afterAll(async () => {
  await Promise.all(clusters.map((c) => c.stopAll()));
  rmSync(tmp, { recursive: true, force: true });
});

/** The user record as node `dataDir` holds it in its sealed state. */
function storedUser(dataDir: string, name: string): UserObject {
  const identity = readIdentity(dataDir);
  const state = loadStateFile(dataDir, resolveUnsealKey(dataDir, identity), identity);
  return state.objects[`u:${name}`] as UserObject;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('password hash cost', () => {
  it('defaults to 14 (N = 2^14): the admin created by init is hashed at it', async () => {
    expect(DEFAULT_LIMITS.passwordHashCost).toBe(14);
    const info = await initCluster({ dir: join(tmp, 'default'), nodes: [{ az: 'az-a' }], initialAdminPassword: 'initial-pw-1' });
    const admin = storedUser(info.nodes[0]!.dataDir, 'admin');
    expect({ n: admin.password.n, r: admin.password.r, p: admin.password.p }).toEqual({ n: 2 ** 14, r: 8, p: 1 });
  });

  it.each<[string, Partial<ClusterLimits> | Record<string, unknown>, RegExp]>([
    ['cost 9', { passwordHashCost: 9 }, /passwordHashCost must be an integer from 10 to 17/],
    ['cost 18', { passwordHashCost: 18 }, /from 10 to 17/],
    ['cost 12.5', { passwordHashCost: 12.5 }, /from 10 to 17/],
    ['cost "12"', { passwordHashCost: '12' }, /from 10 to 17/],
    ['cost NaN', { passwordHashCost: Number.NaN }, /from 10 to 17/],
    ['maxUsers 0', { maxUsers: 0 }, /limits\.maxUsers must be a positive integer/],
    ['lockoutThreshold 1.5', { lockoutThreshold: 1.5 }, /limits\.lockoutThreshold must be a positive integer/],
    ['an unknown limit', { maxUser: 5 }, /limits\.maxUser is not a cluster limit/],
    ['__proto__', JSON.parse('{"__proto__": {"maxUsers": 1}}') as Record<string, unknown>, /limits\.__proto__ is not a cluster limit/],
  ])('init refuses %s with INVALID_ARGUMENT and writes nothing', async (_what, limits, message) => {
    const dir = join(tmp, `bad-${Math.random().toString(36).slice(2)}`);
    const err = await initCluster({ dir, nodes: [{ az: 'az-a' }], limits: limits as Partial<ClusterLimits> }).catch((e: unknown) => e);
    expect(StrongroomError.isInstance(err, 'INVALID_ARGUMENT'), String(err)).toBe(true);
    expect((err as Error).message).toMatch(message);
    expect(existsSync(dir)).toBe(false);
  });

  it('new and changed passwords take the cluster cost, replicate, and log in on every node', async () => {
    const c = await startTestCluster({ limits: { passwordHashCost: 11 } });
    clusters.push(c);
    const admin = await c.login(0, 'admin', 'initial-pw-1');
    await admin.call('user.changePassword', { newPassword: 'admin-password-1' });
    await admin.call('user.create', { user: 'app', role: 'crypto-user', password: 'app-password-1' });
    expect(storedUser(c.info.nodes[0]!.dataDir, 'admin').password.n).toBe(2 ** 11);
    expect(storedUser(c.info.nodes[0]!.dataDir, 'app').password.n).toBe(2 ** 11);
    // Replicated: the user created on node 0 logs in on nodes 1 and 2 with the same record.
    for (const i of [1, 2]) {
      await expect.poll(() => c.login(i, 'app', 'app-password-1').then(() => true, () => false), { timeout: 20_000 }).toBe(true);
    }
    expect(storedUser(c.info.nodes[2]!.dataDir, 'app').password.n).toBe(2 ** 11);
  });

  it('a stored hash verifies with its own parameters; parameters no cluster cost produces never verify', async () => {
    const at10 = await hashPassword('password-1', 10);
    const at14 = await hashPassword('password-1', DEFAULT_PASSWORD_HASH_COST);
    expect(at10.n).toBe(2 ** 10);
    expect(at14.n).toBe(2 ** 14);
    expect(await verifyPassword('password-1', at10)).toBe(true);
    expect(await verifyPassword('password-1', at14)).toBe(true);
    expect(await verifyPassword('password-2', at10)).toBe(false);
    // Tampered or foreign parameters: a 1 GiB scrypt (N = 2^20), a non-power of two, another r or p,
    // a short salt or hash. Each is refused before any work (with the right password).
    for (const bad of [{ n: 2 ** 20 }, { n: 2 ** 9 }, { n: 2 ** 10 + 1 }, { r: 16 }, { p: 2 }, { salt: Buffer.alloc(8) }, { hash: at10.hash.subarray(0, 16) }]) {
      expect(await verifyPassword('password-1', { ...at10, ...bad }), JSON.stringify(Object.keys(bad))).toBe(false);
    }
  });

  it('strongroom-hsm init --password-hash-cost sets it; a bad value is refused', async () => {
    const run = promisify(execFile);
    const cli = (...args: string[]) => run(process.execPath, [defaultCliPath(), ...args], { env: { ...process.env, STRONGROOM_HSM_ADMIN_PASSWORD: 'initial-pw-1' } });
    const dir = join(tmp, 'cli');
    const out = JSON.parse((await cli('init', '--dir', dir, '--node', 'az-a', '--password-hash-cost', '12')).stdout) as { nodes: Array<{ dataDir: string }> };
    expect(storedUser(out.nodes[0]!.dataDir, 'admin').password.n).toBe(2 ** 12);
    for (const v of ['18', '9', '1e1', ' 12', 'twelve']) {
      const err = (await cli('init', '--dir', join(tmp, `cli-bad-${v.trim()}`), '--node', 'az-a', '--password-hash-cost', v).catch((e: unknown) => e)) as { code: number; stderr: string };
      expect(err.code, v).not.toBe(0);
      expect(err.stderr).toContain(`--password-hash-cost ${v}: passwordHashCost must be an integer from 10 to 17`);
      expect(existsSync(join(tmp, `cli-bad-${v.trim()}`))).toBe(false);
    }
  });

  it("an unknown user's login costs a hash at the cluster's cost, as a wrong password does", async () => {
    // At cost 16 one hash is 64 MiB of scrypt (≈ 4 × the default's work), far above what a login
    // costs besides. Interleaved, 3 each: an unknown name must take at least half as long as a known
    // name with a wrong password; a fixed cheaper decoy (the code before this test) took ≈ 1/4.
    const c = await startTestCluster({ limits: { passwordHashCost: 16 } });
    clusters.push(c);
    const conn = await c.connect(0);
    const timeLogin = async (user: string) => {
      const t = process.hrtime.bigint();
      await conn.call('login', { user, password: 'wrong-password-1' }).catch(() => undefined);
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 3; i++) {
      known.push(await timeLogin('admin'));
      unknown.push(await timeLogin(`nobody${i}`));
    }
    expect(median(unknown) / median(known), `unknown ${unknown.join(', ')} ms; known ${known.join(', ')} ms`).toBeGreaterThan(0.5);
  });
});
