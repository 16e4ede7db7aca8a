/**
 * Spawn a third-party daemon (Ceph's, for startRgw) that must not outlive the process that started
 * it. Our own servers watch a pipe on their standard input (`--stop-on-stdin-close`); a binary we did
 * not write cannot, so on Linux it is started under util-linux's `setpriv --pdeathsig SIGTERM`, which
 * sets prctl(2) PR_SET_PDEATHSIG before exec: the kernel sends the daemon SIGTERM when its parent
 * dies — by SIGKILL too, which runs no cleanup. Where `setpriv` is missing the daemon is spawned as is
 * and stopped only by the starter's own cleanup (its `close()`, or its `exit` handler).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** util-linux's setpriv(1), where installed (Debian: package util-linux, which every system has). */
export const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => process.platform === 'linux' && existsSync(p));

/**
 * Whether process `pid` is still running: it exists and, on Linux, is not a zombie (a process that
 * exited and waits to be reaped by a parent that is still alive). For checking that a daemon ended.
 */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return process.platform !== 'linux';
  }
}

/** `spawn(command, args, options)`, with the child sent SIGTERM when this process dies (Linux, setpriv). */
export function spawnTied(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return SETPRIV ? spawn(SETPRIV, ['--pdeathsig', 'SIGTERM', '--', command, ...args], options) : spawn(command, args, options);
}
