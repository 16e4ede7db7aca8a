/**
 * A secret file that is a pipe: `<(command)` (/dev/fd/N) and named FIFOs are read to their end, but a
 * FIFO nobody writes, or a writer that never finishes, fails within the deadline instead of hanging
 * the program in open(2) or read(2) forever. Each read runs in a child process (the built package,
 * as the servers and the CLI run it) under a hard timeout, so a read that hangs fails the test
 * instead of blocking the test worker.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'strongroom-secret-pipes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const built = fileURLToPath(new URL('../dist/index.mjs', import.meta.url));
const reader = join(dir, 'read-secret.mjs');
// argv: path, deadline ms. Prints the secret's bytes as JSON, or the error's code, reason and message.
writeFileSync(
  reader,
  `import { readSecretFileBytes } from ${JSON.stringify(built)};
try {
  const bytes = readSecretFileBytes(process.argv[2], '--secret-file', { program: 'test', output: process.stderr }, Number(process.argv[3]));
  console.log(JSON.stringify({ text: bytes.toString() }));
} catch (e) {
  console.log(JSON.stringify({ code: e.code, reason: e.details?.reason, message: e.message }));
}
`,
);

/** Run the reader (through bash, for `<(…)`) with a hard timeout; what it printed, and how long it took. */
function read(shellArgs: string, timeoutMs = 15_000): { result: Record<string, string> | undefined; ms: number; timedOut: boolean } {
  const started = Date.now();
  const r = spawnSync('bash', ['-c', `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(reader)} ${shellArgs}`], { encoding: 'utf8', timeout: timeoutMs });
  const ms = Date.now() - started;
  const timedOut = r.error !== undefined || r.signal !== null;
  return { result: timedOut ? undefined : (JSON.parse(r.stdout) as Record<string, string>), ms, timedOut };
}

function fifo(name: string): string {
  const path = join(dir, name);
  execFileSync('mkfifo', ['-m', '600', path]);
  return path;
}

describe('a secret file that is a pipe', () => {
  it('a FIFO nobody writes fails at the deadline, naming it (it used to hang in open(2))', () => {
    const path = fifo('no-writer');
    const { result, ms, timedOut } = read(`${path} 400`);
    expect(timedOut).toBe(false);
    expect(result).toEqual({
      code: 'IO_ERROR',
      reason: 'PIPE_TIMEOUT',
      message: `--secret-file ${path}: nothing was written to it within 0.4 s (a pipe or FIFO: start its writer, or name a regular file)`,
    });
    expect(ms).toBeGreaterThanOrEqual(400);
  });

  it('a FIFO whose writer comes later is read to its end', () => {
    const path = fifo('late-writer');
    const writer = spawn('sh', ['-c', `sleep 0.5; printf 'late-secret\\n' > ${path}`], { stdio: 'ignore' });
    const { result } = read(`${path} 10000`);
    writer.kill();
    expect(result).toEqual({ text: 'late-secret\n' });
  });

  it('<(command) — a pipe at /dev/fd/N — waits for the command and reads all it writes', () => {
    const { result } = read(`<(sleep 0.5; printf 'from-'; sleep 0.3; printf 'a-command') 10000`);
    expect(result).toEqual({ text: 'from-a-command' });
  });

  it('a writer that never finishes fails at the deadline', () => {
    const path = fifo('stuck-writer');
    const writer = spawn('bash', ['-c', `exec 3>${path}; printf 'half' >&3; sleep 20`], { stdio: 'ignore' });
    const { result, timedOut } = read(`${path} 1500`);
    writer.kill();
    expect(timedOut).toBe(false);
    expect(result).toMatchObject({ code: 'IO_ERROR', reason: 'PIPE_TIMEOUT' });
    expect(result!.message).toContain('its writer did not finish within 1.5 s');
  });

  it('a regular file and /dev/zero read as before: the file whole, /dev/zero refused at the cap', () => {
    const file = join(dir, 'plain');
    writeFileSync(file, 'plain-secret', { mode: 0o600 });
    expect(read(`${file} 400`).result).toEqual({ text: 'plain-secret' });
    expect(read('/dev/zero 400').result).toMatchObject({ code: 'INVALID_ARGUMENT', message: '--secret-file /dev/zero: larger than 65536 bytes' });
  });
});
