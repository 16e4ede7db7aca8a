/** In-process engine tests for what needs a controlled clock: session expiry. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { StrongroomError } from '@strongroom/core';
import { afterAll, describe, expect, it } from 'vitest';
import { openAuditLog } from './audit';
import { createEngine, type ConnContext } from './engine';
import { DEFAULT_PASSWORD_HASH_COST, hashPassword } from './passwords';
import { createShaper } from './shaping';
import { createStateStore, DEFAULT_LIMITS } from './state';

const tmp = mkdtempSync(join(tmpdir(), 'hsm-engine-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('engine limits', () => {
  it('enforces the user and session limits with clear errors', async () => {
    const dir = mkdtempSync(join(tmp, 'lim-'));
    const store = createStateStore(dir, randomBytes(32), {
      format: 1, nodeId: 'n1', rebootCounter: 0, objects: {},
      cluster: { clusterId: 'c1', maskingKey: randomBytes(32), backupKey: randomBytes(32), limits: { ...DEFAULT_LIMITS, maxUsers: 2, maxSessionsPerNode: 2 } },
    });
    store.data.objects['u:admin'] = { kind: 'user', id: 'u:admin', version: 1, name: 'admin', role: 'admin', password: await hashPassword('admin-password', DEFAULT_PASSWORD_HASH_COST), mustChangePassword: false, locked: false };
    const audit = openAuditLog(join(dir, 'audit.log'), { node: 'n1', reboot: 1 });
    const engine = createEngine({ identity: { nodeId: 'n1', clusterId: 'c1', az: 'a' }, store, audit, shaper: createShaper(undefined) });
    const conn = (): ConnContext => ({ id: String(Math.random()), peer: 'client:x', sessionKeys: new Set() });
    const admin = conn();
    await engine.handle(admin, 'login', { user: 'admin', password: 'admin-password' });
    await engine.handle(admin, 'user.create', { user: 'u1', role: 'crypto-user', password: 'u1-password' });
    await expect(Promise.resolve().then(() => engine.handle(admin, 'user.create', { user: 'u2', role: 'crypto-user', password: 'u2-password' }))).rejects.toThrow(/user limit reached: a cluster holds at most 2 users/);
    await engine.handle(conn(), 'login', { user: 'u1', password: 'u1-password' });
    await expect(Promise.resolve().then(() => engine.handle(conn(), 'login', { user: 'u1', password: 'u1-password' }))).rejects.toThrow(/session limit reached: at most 2 sessions per node/);
    await audit.close();
  });
});

describe('engine sessions', () => {
  it('expires idle and over-age sessions', async () => {
    let t = 1_000_000;
    const store = createStateStore(tmp, randomBytes(32), {
      format: 1, nodeId: 'n1', rebootCounter: 0, objects: {},
      cluster: { clusterId: 'c1', maskingKey: randomBytes(32), backupKey: randomBytes(32), limits: { ...DEFAULT_LIMITS, sessionIdleMs: 1000, sessionMaxMs: 5000 } },
    });
    store.data.objects['u:app'] = { kind: 'user', id: 'u:app', version: 1, name: 'app', role: 'crypto-user', password: await hashPassword('app-password', DEFAULT_PASSWORD_HASH_COST), mustChangePassword: false, locked: false };
    const audit = openAuditLog(join(tmp, 'audit.log'), { node: 'n1', reboot: 1 });
    const engine = createEngine({ identity: { nodeId: 'n1', clusterId: 'c1', az: 'a' }, store, audit, shaper: createShaper(undefined), now: () => t });
    const ctx: ConnContext = { id: 'c', peer: 'client:x', sessionKeys: new Set() };
    // handle() throws synchronously for synchronous failures (the server catches both forms).
    const reason = async (op: () => unknown) => {
      try {
        await op();
        return 'ok';
      } catch (e) {
        return StrongroomError.isInstance(e) ? String(e.details?.reason) : 'other';
      }
    };
    await engine.handle(ctx, 'login', { user: 'app', password: 'app-password' });
    t += 900;
    expect(await reason(() => engine.handle(ctx, 'random', { length: 4 }))).toBe('ok');
    t += 1100;
    expect(await reason(() => engine.handle(ctx, 'random', { length: 4 }))).toBe('SESSION_EXPIRED');
    expect(await reason(() => engine.handle(ctx, 'random', { length: 4 }))).toBe('NOT_LOGGED_IN');
    await engine.handle(ctx, 'login', { user: 'app', password: 'app-password' });
    for (let i = 0; i < 6; i++) {
      t += 900;
      await reason(() => engine.handle(ctx, 'random', { length: 4 }));
    }
    expect(await reason(() => engine.handle(ctx, 'random', { length: 4 }))).toBe('NOT_LOGGED_IN');
    await audit.close();
  });
});
