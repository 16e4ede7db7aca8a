/**
 * Files the CLI writes with plaintext or secrets (docs/cli.md#output-files, issue 18 items 8 and 12):
 * a local attacker who knows the old predictable temporary names (`FILE.strongroom-partial-<pid>`,
 * `state.json.<pid>.tmp`) must not get the plaintext by planting a file or a symlink there; `-o`
 * never overwrites the input (same name, symlink or hard link); and a decrypt killed with SIGKILL
 * mid-write leaves no readable partial plaintext behind.
 *
 * Keys are raw AES (env STRONGROOM_RAW_AES_KEY): no dev stack is needed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack } from '../src/dev-stack';
import { EXIT } from '../src/exit';
import { CLI, lines, runCli } from './helpers';

const key = randomBytes(32).toString('base64');
const envBase = { STRONGROOM_RAW_AES_KEY: key, HOME: '/nonexistent', XDG_CONFIG_HOME: '/nonexistent' };
const env: Record<string, string> = envBase;
const URI = 'raw-aes://test/k1';
let tmp: string;
let plain: Buffer;
let cipherFile: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'strongroom-output-files-'));
  plain = Buffer.concat([Buffer.from('TOP-SECRET-PLAINTEXT '), randomBytes(256 * 1024)]);
  writeFileSync(join(tmp, 'plain.bin'), plain);
  cipherFile = join(tmp, 'cipher.bin');
  const r = await runCli(['encrypt', '-i', join(tmp, 'plain.bin'), '-o', cipherFile, '--key', URI], { env });
  expect(r.code).toBe(0);
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/**
 * Run the CLI through `sh -c 'read go; exec node …'`: the shell's pid is the CLI's pid after exec,
 * so the attacker can plant files at the pid-derived names before the CLI starts.
 */
function runWithPlant(args: string[], plant: (pid: number) => void): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', 'read go; exec "$0" "$@"', process.execPath, CLI, ...args], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    plant(child.pid!);
    child.stdin.end('go\n');
  });
}

function readAll(fd: number): Buffer {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  let pos = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
    pos += n;
  }
  return Buffer.concat(chunks);
}

describe('temporary names an attacker can predict', () => {
  it('a file planted at FILE.strongroom-partial-<pid> does not receive the plaintext', async () => {
    const out = join(tmp, 'planted-file.out');
    let attackerFd = -1;
    const r = await runWithPlant(['decrypt', '-i', cipherFile, '-o', out, '--key', URI], (pid) => {
      const name = `${out}.strongroom-partial-${pid}`;
      writeFileSync(name, '', { mode: 0o666 });
      attackerFd = openSync(name, 'r'); // the attacker keeps a handle on "their" inode
    });
    expect(r.code).toBe(0);
    expect(readFileSync(out).equals(plain)).toBe(true);
    const stolen = readAll(attackerFd);
    closeSync(attackerFd);
    expect(stolen.length).toBe(0);
    expect(statSync(out).mode & 0o077).toBe(0);
  });

  it('a symlink planted at FILE.strongroom-partial-<pid> is not followed', async () => {
    const out = join(tmp, 'planted-link.out');
    const loot = join(tmp, 'attacker-loot');
    const r = await runWithPlant(['decrypt', '-i', cipherFile, '-o', out, '--key', URI], (pid) => symlinkSync(loot, `${out}.strongroom-partial-${pid}`));
    expect(r.code).toBe(0);
    expect(existsSync(loot)).toBe(false);
    expect(lstatSync(out).isSymbolicLink()).toBe(false);
    expect(readFileSync(out).equals(plain)).toBe(true);
  });

  it('the dev stack’s state.json (dev secrets) does not follow a symlink planted at state.json.<pid>.tmp', async () => {
    const dir = join(tmp, 'stack');
    mkdirSync(dir);
    const loot = join(tmp, 'state-loot');
    symlinkSync(loot, join(dir, `state.json.${process.pid}.tmp`));
    writeFileSync(join(dir, 'hsm'), 'not a directory'); // stops the start right after state.json is written
    await expect(startDevStack({ dir })).rejects.toThrow();
    expect(existsSync(loot)).toBe(false);
    const st = lstatSync(join(dir, 'state.json'));
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp') && n !== `state.json.${process.pid}.tmp`)).toEqual([]);
  });
});

describe('-o never overwrites -i', () => {
  const cases: Array<[string, (input: string) => string]> = [
    ['the same path', (input) => input],
    ['a symlink to the input', (input) => (symlinkSync(input, `${input}.link`), `${input}.link`)],
    ['a hard link to the input', (input) => (linkSync(input, `${input}.hard`), `${input}.hard`)],
    ['another spelling of the path', (input) => `${tmp}/./x/../${input.slice(tmp.length + 1)}`],
  ];
  it.each(cases)('refuses %s with a typed error and leaves the input intact', async (name, output) => {
    const input = join(tmp, `same-${name.replace(/\W/g, '')}.txt`);
    writeFileSync(input, plain);
    mkdirSync(join(tmp, 'x'), { recursive: true });
    const r = await runCli(['encrypt', '-i', input, '-o', output(input), '--key', URI], { env });
    expect(r.code).toBe(EXIT.USAGE);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/is the input file.*\[INVALID_ARGUMENT\]/);
    expect(readFileSync(input).equals(plain)).toBe(true);
  });
});

describe('-o naming a FIFO or device', () => {
  it('writes into it like -o -, and leaves the FIFO in place', async () => {
    const fifo = join(tmp, 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      createReadStream(fifo).on('data', (d) => chunks.push(d as Buffer)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
    });
    const r = await runCli(['decrypt', '-i', cipherFile, '-o', fifo, '--key', URI], { env });
    expect(r.code).toBe(0);
    expect((await reader).equals(plain)).toBe(true);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });
});

/** The child's open regular files under `dir`, with their sizes (named or already unlinked). */
function openFilesIn(pid: number, dir: string): Array<{ target: string; size: number }> {
  const out: Array<{ target: string; size: number }> = [];
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (!target.startsWith(`${dir}/`)) continue;
      const st = statSync(`/proc/${pid}/fd/${fd}`);
      if (st.isFile()) out.push({ target, size: st.size });
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

describe('killed mid-write', () => {
  // default: an unnamed O_TMPFILE partial on Linux; named: the exclusive 0600 partial file other systems use.
  it.skipIf(!existsSync('/proc/self/fd')).each([['default', {}], ['named partial files', { STRONGROOM_NO_O_TMPFILE: '1' }]] as const)('SIGKILL during a decrypt to -o FILE leaves no readable partial plaintext after the next start (%s)', async (mode, modeEnv) => {
    const env = { ...envBase, ...modeEnv };
    const big = Buffer.concat([Buffer.from('KILLED-MID-WRITE '), randomBytes(8 * 1024 * 1024)]);
    const dir = join(tmp, `killed-${mode.replace(/\W/g, '')}`);
    mkdirSync(dir);
    writeFileSync(join(dir, '..', `big-${mode.replace(/\W/g, '')}.bin`), big);
    const enc = join(tmp, `big-${mode.replace(/\W/g, '')}.enc`);
    expect((await runCli(['encrypt', '-i', join(dir, '..', `big-${mode.replace(/\W/g, '')}.bin`), '-o', enc, '--key', URI], { env })).code).toBe(0);
    const ciphertext = readFileSync(enc);

    const child = spawn(process.execPath, [CLI, 'decrypt', '-i', '-', '-o', join(dir, 'big.out'), '--key', URI], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    const exited = new Promise<void>((r) => child.on('close', () => r()));
    child.stdin.on('error', () => {}); // EPIPE once it is killed
    // Half the message, then the input stalls: the CLI has written plaintext and waits for more.
    child.stdin.write(ciphertext.subarray(0, ciphertext.length >> 1));
    let seen = 0;
    for (let i = 0; i < 1800 && seen < 1024 * 1024; i++) {
      seen = Math.max(0, ...openFilesIn(child.pid!, dir).map((f) => f.size));
      if (seen < 1024 * 1024) await new Promise((r) => setTimeout(r, 50));
    }
    expect(seen).toBeGreaterThanOrEqual(1024 * 1024); // mid-write: at least 1 MiB of plaintext written
    child.kill('SIGKILL');
    await exited;

    const readable = () =>
      readdirSync(dir).filter((n) => {
        const p = join(dir, n);
        return lstatSync(p).isFile() && readFileSync(p).subarray(0, 17).equals(big.subarray(0, 17));
      });
    const leftNow = readable();
    const leftModes = leftNow.map((n) => statSync(join(dir, n)).mode & 0o077);
    // The next CLI run writing into the same directory sweeps what a killed run may have left.
    expect((await runCli(['encrypt', '-i', join(tmp, 'plain.bin'), '-o', join(dir, 'next.enc'), '--key', URI], { env })).code).toBe(0);
    expect(readable()).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['next.enc']);
    // On Linux the partial output is an unnamed (O_TMPFILE) file: nothing was there even before the sweep.
    if (process.platform === 'linux' && mode === 'default') expect(leftNow).toEqual([]);
    // Named partials are 0600 under an unpredictable name until the sweep.
    else {
      expect(leftNow.every((n) => /^\.big\.out\.strongroom-partial-\d+-[0-9a-f]{16}$/.test(n))).toBe(true);
      expect(leftModes.every((m) => m === 0)).toBe(true);
    }
  }, 240_000);
});
