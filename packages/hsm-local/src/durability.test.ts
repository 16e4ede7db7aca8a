import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, appendFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { openAuditLog } from './audit';
import { verifyAuditLog } from './audit-verify';
import { applyRetention, decodeBackup, encodeBackup } from './backup';
import { atomicWrite, seal, TamperError, unseal } from './sealed-file';
import { createShaper } from './shaping';
import { DEFAULT_LIMITS } from './state';

const tmp = mkdtempSync(join(tmpdir(), 'hsm-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('sealed files', () => {
  it('seal/unseal round-trips; any flipped bit, another binding or another key is TAMPERED', async () => {
    const key = randomBytes(32);
    const blob = seal(key, 'node-state', 'c/n1', Buffer.from('secret state'));
    expect(unseal(key, 'node-state', 'c/n1', blob).toString()).toBe('secret state');
    for (let i = 0; i < blob.length; i += 3) {
      const b = Buffer.from(blob);
      b[i]! ^= 0x10;
      expect(() => unseal(key, 'node-state', 'c/n1', b)).toThrow(TamperError);
    }
    expect(() => unseal(key, 'node-state', 'c/n2', blob)).toThrow(TamperError);
    expect(() => unseal(randomBytes(32), 'node-state', 'c/n1', blob)).toThrow(TamperError);
    const p = join(tmp, 'atomic.bin');
    await atomicWrite(p, blob);
    expect(readFileSync(p)).toEqual(blob);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe('audit log', () => {
  it('resumes sequence numbers after restart, cuts a torn final line, and still verifies', async () => {
    const p = join(tmp, 'audit.log');
    const key = randomBytes(32);
    const a = openAuditLog(p, { node: 'n1', reboot: 1, key });
    a.append({ op: 'x', response: 'SUCCESS' });
    await a.appendDurable({ op: 'key.generate', user: 'alice', response: 'SUCCESS', detail: { handle: 'h' } });
    await a.close();
    appendFileSync(p, '{"seq":3,"time":"tor'); // a crash mid-write
    const b = openAuditLog(p, { node: 'n1', reboot: 2, key });
    expect(b.lastSeq).toBe(3); // 2 records + the recovery note
    await b.appendDurable({ op: 'y', response: 'SUCCESS' });
    await b.close();
    const r = await verifyAuditLog(p, { key, head: null });
    expect(r).toMatchObject({ ok: true, records: 4, authenticated: true });
    expect(await verifyAuditLog(p)).toMatchObject({ ok: false, authenticated: false, problems: [] });
    expect(readFileSync(p, 'utf8')).toContain('"op":"audit.recover"');
  });
});

describe('backups', () => {
  const pbk = randomBytes(32);
  const contents = { cluster: { clusterId: 'c1', maskingKey: randomBytes(32), backupKey: pbk, limits: DEFAULT_LIMITS }, objects: {} };
  const header = { format: 1 as const, clusterId: 'c1', sourceNodeId: 'n1', createdAt: 1, objects: 0 };

  it('decrypts only with the cluster backup key and detects alteration', () => {
    const blob = encodeBackup(pbk, header, contents);
    expect(decodeBackup(pbk, blob).contents.cluster.maskingKey).toEqual(contents.cluster.maskingKey);
    expect(() => decodeBackup(randomBytes(32), blob)).toThrow();
    const b = Buffer.from(blob);
    b[b.length - 30]! ^= 1;
    expect(() => decodeBackup(pbk, b)).toThrow(/authentication/);
  });

  it('retention keeps the newest, drops by count and age', () => {
    const dir = mkdtempSync(join(tmp, 'bk-'));
    const now = Date.now();
    for (let i = 0; i < 5; i++) {
      const f = join(dir, `b${i}.hsmbackup`);
      writeFileSync(f, 'x');
      const t = (now - i * 86_400_000 * 10) / 1000; // b0 newest, b4 40 days old
      utimesSync(f, t, t);
    }
    expect(applyRetention(dir, { keepLast: 4, maxAgeDays: 25 }, now).sort()).toEqual(['b3.hsmbackup', 'b4.hsmbackup']);
    expect(applyRetention(dir, { keepLast: 1, maxAgeDays: 0 }, now + 1e12).sort()).toEqual(['b1.hsmbackup', 'b2.hsmbackup']);
    expect(readdirSync(dir)).toEqual(['b0.hsmbackup']);
  });
});

describe('shaping', () => {
  it('is off by default and throttles beyond the queue bound', async () => {
    expect(createShaper(undefined).admit('symmetric')).toBeUndefined();
    const s = createShaper({ latencyMs: 0, rates: { 'rsa-sign': 1 }, maxQueueMs: 100 });
    await s.admit('rsa-sign');
    await expect(s.admit('rsa-sign')).rejects.toThrow(/busy\/throttled/);
    expect(s.admit('symmetric')).toBeUndefined();
  });
});
