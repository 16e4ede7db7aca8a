/**
 * The keyed audit chain (audit.ts, audit-tail.ts, audit-verify.ts): the sealed head catches dropped
 * final records, a log ahead of the head is fine, records are bounded, and tail recovery has no
 * record size limit.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openAuditLog } from './audit';
import { recoverTail } from './audit-tail';
import { verifyAuditLog } from './audit-verify';
import type { AuditHead } from './state';

const tmp = mkdtempSync(join(tmpdir(), 'hsm-audit-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function writeLog(name: string, n: number): Promise<{ path: string; key: Buffer; head: AuditHead }> {
  const path = join(tmp, name);
  const key = randomBytes(32);
  let head: AuditHead = { seq: 0, mac: '' };
  const log = openAuditLog(path, { node: 'n1', reboot: 1, key, onDurable: (h) => (head = h) });
  for (let i = 0; i < n; i++) await log.appendDurable({ op: 'user.create', user: 'admin', response: 'SUCCESS', detail: { user: `u${i}` } });
  await log.close();
  return { path, key, head };
}

describe('keyed audit chain', () => {
  it('reports the durable head after each fdatasync; verify with the sealed head passes', async () => {
    const { path, key, head } = await writeLog('a.log', 5);
    expect(head.seq).toBe(5);
    expect(await verifyAuditLog(path, { key, head })).toMatchObject({ ok: true, records: 5, problems: [] });
  });

  it('dropping the last records is reported as truncated, offline and at the next start', async () => {
    const { path, key, head } = await writeLog('b.log', 6);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    writeFileSync(path, `${lines.slice(0, -2).join('\n')}\n`);
    const r = await verifyAuditLog(path, { key, head });
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.problem)).toEqual(['truncated']);
    const reopened = openAuditLog(path, { node: 'n1', reboot: 2, key, head });
    await reopened.close();
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('"op":"audit.truncated"');
    // The cut stays visible: the next record continues after the sealed head, leaving a gap.
    expect((await verifyAuditLog(path, { key, head })).problems.map((p) => p.problem)).toContain('gap');
  });

  it('a log ahead of the sealed head (crash before the state write) is not tampering', async () => {
    const { path, key } = await writeLog('c.log', 4);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    const rec2 = JSON.parse(lines[1]!) as { seq: number; mac: string };
    const older = { seq: rec2.seq, mac: rec2.mac };
    expect(await verifyAuditLog(path, { key, head: older })).toMatchObject({ ok: true });
    expect(recoverTail(path, older).headMissing).toBeUndefined();
    // A forged record at the head's position (another MAC) is not the sealed head.
    expect(recoverTail(path, { seq: 2, mac: 'f'.repeat(64) }).headMissing).toEqual({ headSeq: 2, lastSeq: 4 });
  });

  it('an edit that keeps the structure is caught by the MAC', async () => {
    const { path, key, head } = await writeLog('d.log', 3);
    const text = readFileSync(path, 'utf8').replace('"user":"u1"', '"user":"u9"');
    writeFileSync(path, text);
    expect((await verifyAuditLog(path, { key, head })).problems).toEqual([{ line: 2, seq: 2, problem: 'edited' }]);
    expect((await verifyAuditLog(path, { key: randomBytes(32), head })).problems.filter((p) => p.problem === 'edited')).toHaveLength(3);
  });

  it('bounds every field: a request with four 0.9 MB strings adds a few KiB', async () => {
    const path = join(tmp, 'e.log');
    const log = openAuditLog(path, { node: 'n1', reboot: 1 });
    const big = 'é'.repeat(450_000);
    log.append({ op: big, user: big, session: big, response: big, detail: { label: big, ids: Array.from({ length: 5000 }, () => big) } });
    await log.close();
    const size = statSync(path).size;
    expect(size).toBeLessThan(32 * 1024);
    const rec = JSON.parse(readFileSync(path, 'utf8')) as { op: string; detail: { ids: string[] } };
    expect(rec.op).toMatch(/…\[truncated, 900000 bytes\]$/);
    expect(rec.detail.ids).toHaveLength(65);
  });

  it('recovers the tail after a record larger than any fixed window, and after a torn record', async () => {
    const { path, key } = await writeLog('f.log', 2);
    const huge = JSON.stringify({ seq: 3, mac: 'a'.repeat(64), pad: 'x'.repeat(600_000) });
    appendFileSync(path, `${huge}\n`);
    expect(recoverTail(path)).toMatchObject({ seq: 3, mac: 'a'.repeat(64), tornBytes: 0 });
    appendFileSync(path, '{"seq":4,"pad":"' + 'y'.repeat(300_000));
    const before = statSync(path).size;
    expect(recoverTail(path)).toMatchObject({ seq: 3, tornBytes: 300_016 });
    expect(statSync(path).size).toBe(before - 300_016);
    truncateSync(path, 0);
    expect(recoverTail(path, { seq: 2, mac: key.toString('hex') })).toMatchObject({ seq: 0, headMissing: { headSeq: 2, lastSeq: 0 } });
  });
});
