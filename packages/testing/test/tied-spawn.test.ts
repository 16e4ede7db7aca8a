/**
 * spawnTied (the Ceph daemons of startRgw): a daemon we did not write cannot watch a pipe, so it runs
 * under `setpriv --pdeathsig SIGTERM` and the kernel ends it when the process that started it dies —
 * by SIGKILL too, when no cleanup of ours runs. Here the daemon is `sleep 600`, its starter a script
 * killed with SIGKILL. Skips with a printed reason where setpriv(1) is missing (fails under
 * STRONGROOM_REQUIRE_ALL_SUITES=1: the CI machine has util-linux).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processRunning, SETPRIV } from '../src/servers/tied-spawn';

const reason = SETPRIV ? undefined : 'setpriv(1) (util-linux) is not installed, or this is not Linux';
if (reason && process.env.STRONGROOM_REQUIRE_ALL_SUITES === '1') throw new Error(`spawnTied: ${reason} (STRONGROOM_REQUIRE_ALL_SUITES=1)`);
if (reason) console.warn(`[skip] spawnTied: ${reason}`);

const leftovers: number[] = [];
afterAll(() => {
  for (const pid of leftovers) if (processRunning(pid)) process.kill(pid, 'SIGKILL');
});


describe.skipIf(!!reason)('spawnTied', () => {
  it('ends the daemon when the process that started it is killed with SIGKILL', async () => {
    const parent = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'spawn-tied-then-wait.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { pid: number }).pid);
      });
      parent.once('exit', (code) => reject(new Error(`the starter exited (${code}) first`)));
    });
    leftovers.push(pid);
    await new Promise((r) => setTimeout(r, 200)); // setpriv has exec'd sleep
    expect(processRunning(pid)).toBe(true);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]).toBe('sleep');
    const exited = new Promise((r) => parent.once('exit', r));
    parent.kill('SIGKILL');
    await exited;
    let gone = false;
    for (const end = Date.now() + 5000; !gone && Date.now() < end; await new Promise((r) => setTimeout(r, 50))) gone = !processRunning(pid);
    expect(gone).toBe(true);
  });
});
