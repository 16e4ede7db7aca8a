// Where bench/s3's processes run, and what CPU they spend. BENCH_S3_PIN=1 models a deployment where
// the S3 server's CPU is not the client's: the server (s3rver, or every Ceph daemon) is pinned to
// CPU 0 and the client (this process, all its threads, and the memory-run children) to CPU 1, with
// taskset(1) from util-linux (sched_setaffinity(2)). CPU time per process is read from
// /proc/PID/stat (utime + stime, proc(5)) and from process.cpuUsage() for this process.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export const PIN = process.env.BENCH_S3_PIN === '1';
export const SERVER_CPU = 0;
export const CLIENT_CPU = 1;

/** Refuse to pin where it cannot be done (fewer than 2 CPUs, or no taskset). */
export function checkPinning() {
  if (!PIN) return;
  if (availableParallelism() < 2) throw new Error('BENCH_S3_PIN=1 needs at least 2 CPUs');
  const r = spawnSync('taskset', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error('BENCH_S3_PIN=1 needs taskset (Debian package util-linux; scripts/install-system-packages.sh)');
}

/** Pin process `pid` and all its threads to `cpu` (no-op unless BENCH_S3_PIN=1). */
export function pin(pid, cpu) {
  if (!PIN) return;
  const r = spawnSync('taskset', ['--all-tasks', '--cpu-list', '--pid', String(cpu), String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset could not pin ${pid} to CPU ${cpu}: ${r.stderr.trim()}`);
}

/** [command, args] that start `execPath args` pinned to `cpu` when pinning, else as they are. */
export function pinnedCommand(cpu, execPath, args) {
  return PIN ? ['taskset', ['--cpu-list', String(cpu), execPath, ...args]] : [execPath, args];
}

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux (sysconf(_SC_CLK_TCK))

/** CPU milliseconds (user + system) process `pid` has spent so far; 0 once it is gone. */
export function processCpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** CPU milliseconds this process has spent so far (user + system, all threads). */
export function ownCpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** A one-line description for the table header. */
export function placementNote(serverName) {
  return PIN
    ? `pinned (BENCH_S3_PIN=1): ${serverName} on CPU ${SERVER_CPU}, the client on CPU ${CLIENT_CPU} (taskset)`
    : `not pinned: ${serverName} and the client share all CPUs (BENCH_S3_PIN=1 pins them apart)`;
}
