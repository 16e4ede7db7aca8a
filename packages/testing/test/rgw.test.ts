/**
 * startRgw: a real Ceph RGW answers S3 on 127.0.0.1, and close() — or a failed start — leaves no
 * process and no directory behind. Skips with a printed reason where Ceph is not installed (fails
 * under STRONGROOM_REQUIRE_ALL_SUITES=1).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { StrongroomError } from '@strongroom/core';
import { rgwUnavailable, startRgw } from '../src/servers/rgw';
import { processRunning } from '../src/servers/tied-spawn';

const reason = rgwUnavailable();
if (reason && process.env.STRONGROOM_REQUIRE_ALL_SUITES === '1') throw new Error(`startRgw: ${reason} (STRONGROOM_REQUIRE_ALL_SUITES=1)`);
if (reason) console.warn(`[skip] startRgw: ${reason}`);

/** PIDs of processes whose command line mentions `dir`. */
const processesUsing = (dir: string) =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir) && processRunning(Number(p));
      } catch {
        return false;
      }
    });

describe.skipIf(!!reason)('startRgw', () => {
  it('serves S3 on 127.0.0.1 and close() kills every daemon and removes its directory', { timeout: 180_000 }, async () => {
    const rgw = await startRgw();
    let closed = false;
    try {
      expect(rgw.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const r = await fetch(`${rgw.endpoint}/`);
      expect(r.status).toBe(200);
      expect(await r.text()).toContain('ListAllMyBucketsResult');
      // An unsigned request for a bucket is refused: RGW checks S3 authentication.
      expect((await fetch(`${rgw.endpoint}/nope`, { method: 'PUT' })).status).toBe(403);
      const pids = rgw.pids();
      expect(pids).toHaveLength(3);
      expect(processesUsing(rgw.dir).sort()).toEqual(pids.map(String).sort());
      await rgw.close();
      closed = true;
      expect(pids.filter(processRunning)).toEqual([]);
      expect(existsSync(rgw.dir)).toBe(false);
      await rgw.close(); // idempotent
    } finally {
      if (!closed) await rgw.close();
    }
  });

  it('a start that fails (RGW port taken) kills what it started and removes its directory', { timeout: 180_000 }, async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    const lines: string[] = [];
    try {
      const err = await startRgw({ port, timeoutMs: 30_000, log: (l) => lines.push(l) }).catch((e: unknown) => e);
      expect(StrongroomError.isInstance(err, 'IO_ERROR'), String(err)).toBe(true);
    } finally {
      blocker.close();
    }
    const dir = /state in (\S+),/.exec(lines.join('\n'))?.[1];
    expect(dir).toBeTruthy();
    expect(existsSync(dir!)).toBe(false);
    expect(processesUsing(dir!)).toEqual([]);
  });
});
