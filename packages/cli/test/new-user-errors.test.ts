/**
 * The errors a new user meets (issue 15, "The CLI, as a user meets it"), each through the real
 * `strongroom` process against a real dev stack: a closed pipe exits quietly, hints are not doubled,
 * kms:// without a dev config says it is using real AWS and what is missing, a missing output
 * directory is named, an alias as an alias target is a usage error, every message ends with its
 * `[CODE]`, a failed unwrap names the providers tried and why, a disconnected custom key store says
 * the exact command that reconnects it (and that command works as printed).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startDevStack, type DevStack } from '../src/dev-stack';
import { EXIT } from '../src/exit';
import { CLI, errorLines, runCli } from './helpers';

let stack: DevStack;
let tmp: string;
let config: string;
let big: string;

const c = (...args: string[]) => ['--config', config, ...args];
const file = (name: string) => join(tmp, name);
/** Every error line ends with a code in brackets. */
const ENDS_WITH_CODE = /\[[A-Za-z_]+\]$/;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'strongroom-new-user-'));
  stack = await startDevStack({ dir: join(tmp, 'stack') });
  config = stack.configPath;
  big = file('big.bin');
  writeFileSync(big, randomBytes(4 * 1024 * 1024));
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** util-linux `script` (runs a command on a pseudo-terminal), or undefined. */
function scriptCommand(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v script']).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Run `cmd` on a pseudo-terminal; `onOutput` may type into it (returns true once done). */
function onTerminal(script: string, cmd: string, onOutput?: (child: ReturnType<typeof spawn>, output: () => string) => boolean): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(script, ['-qec', cmd, '/dev/null'], { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let typed = onOutput === undefined;
    const take = (d: Buffer) => {
      output += d.toString();
      if (!typed) typed = onOutput!(child, () => output);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** An environment in which the AWS SDK finds no Region, no credentials and no instance metadata. */
function noAwsEnv(home: string): Record<string, string | undefined> {
  return {
    HOME: home,
    XDG_CONFIG_HOME: undefined,
    STRONGROOM_CONFIG: undefined,
    AWS_REGION: undefined,
    AWS_DEFAULT_REGION: undefined,
    AWS_PROFILE: undefined,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_CONFIG_FILE: join(home, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
    AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
  };
}

describe('strongroom, as a new user meets it', { timeout: 120_000 }, () => {
  it('`… -o - | head` exits quietly with 141 (128 + SIGPIPE) when the reader closes the pipe', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...c('encrypt', '-i', big, '-o', '-', '--key', 'hsm://strongroom-dev-kek')], {
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // `head -c 10`: read a little, then close the read end.
      child.stdout.once('data', () => child.stdout.destroy());
      const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    expect(errorLines(result.stderr)).toEqual([]);
    expect(result.code).toBe(EXIT.BROKEN_PIPE);
  });

  it('`-o -` leaves stdout open for the next command of the same script (stdout a socket, as Node spawns it)', async () => {
    writeFileSync(file('one.txt'), 'first\n');
    const script = `"${process.execPath}" "${CLI}" --config "${config}" encrypt -i "${file('one.txt')}" -o - --key hsm://strongroom-dev-kek | "${process.execPath}" "${CLI}" --config "${config}" decrypt -i - -o - --key hsm://strongroom-dev-kek; "${process.execPath}" "${CLI}" --config "${config}" decrypt -i "${file('one.enc')}" -o - --key hsm://strongroom-dev-kek; echo after`;
    expect((await runCli(c('encrypt', '-i', file('one.txt'), '-o', file('one.enc'), '--key', 'hsm://strongroom-dev-kek'))).code).toBe(0);
    const r = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn('bash', ['-c', `set -eo pipefail\n${script}`], { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.resume();
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout }));
    });
    expect(r.stdout).toBe('first\nfirst\nafter\n');
    expect(r.code).toBe(0);
  });

  it('says "is the dev stack running?" once when the stack is stopped', async () => {
    const stopped = JSON.parse(readFileSync(config, 'utf8')) as { kms: { endpoint: string } };
    stopped.kms.endpoint = `https://127.0.0.1:${await freePort()}`;
    const path = join(stack.dir, 'stopped.json');
    writeFileSync(path, JSON.stringify(stopped), { mode: 0o600 });
    const r = await runCli(['--config', path, 'encrypt', '-i', big, '-o', file('stopped.enc'), '--key', 'kms://alias/strongroom-dev']);
    expect(r.code).toBe(EXIT.BACKEND);
    const [line, ...rest] = errorLines(r.stderr);
    expect(rest).toEqual([]);
    expect(line).toMatch(/dev stack running/);
    expect(line!.match(/dev stack running/g)).toHaveLength(1);
    expect(line).toMatch(ENDS_WITH_CODE);
  });

  it('kms:// with no dev config says it is using real AWS KMS and what is missing (Region, then credentials)', async () => {
    const home = file('home');
    mkdirSync(home, { recursive: true });
    const noRegion = await runCli(['encrypt', '-i', big, '-o', file('aws.enc'), '--key', 'kms://alias/anything'], { env: noAwsEnv(home) });
    expect(noRegion.code).toBe(EXIT.KEY);
    const line = errorLines(noRegion.stderr).at(-1)!;
    expect(line).toMatch(/real AWS KMS/);
    expect(line).toMatch(/no AWS Region is set \(set AWS_REGION/);
    expect(line).not.toMatch(/Region is missing/);
    expect(line).toMatch(/strongroom dev/);
    expect(line).not.toMatch(/dev stack running/);
    expect(line).toMatch(ENDS_WITH_CODE);

    const noCredentials = await runCli(['encrypt', '-i', big, '-o', file('aws.enc'), '--key', 'kms://alias/anything'], { env: { ...noAwsEnv(home), AWS_REGION: 'eu-west-1' } });
    expect(noCredentials.code).toBe(EXIT.KEY);
    expect(errorLines(noCredentials.stderr).at(-1)).toMatch(/real AWS KMS, and no AWS credentials were found \(set AWS_PROFILE/);
  });

  it('names a missing output directory, not a temporary file inside it', async () => {
    const missing = file('no-such-dir');
    const r = await runCli(c('encrypt', '-i', big, '-o', join(missing, 'out.enc'), '--key', 'hsm://strongroom-dev-kek'));
    expect(r.code).toBe(EXIT.BACKEND);
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`the output directory ${missing} does not exist`));
    expect(lines[0]).not.toMatch(/partial|out\.enc/);
    expect(lines[0]).toMatch(ENDS_WITH_CODE);
  });

  it('`kms aliases create` with an alias as its target is a usage error (exit 2), before any request', async () => {
    const r = await runCli(c('kms', 'aliases', 'create', 'alias/new-user', 'alias/strongroom-dev'));
    expect(r.code).toBe(EXIT.USAGE);
    expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/target must be a key ID or key ARN, not an alias.*\[USAGE\]$/)]);
    expect((await runCli(c('kms', 'aliases', 'list'))).stdout.toString()).not.toMatch(/alias\/new-user/);
  });

  it('ends every message with its [CODE]: NoSuchBucket, no such file, usage, interrupted', async () => {
    const bucket = await runCli(c('s3', 'cp', big, 's3://no-such-bucket-here/x', '--key', 'hsm://strongroom-dev-kek'));
    expect(errorLines(bucket.stderr)).toEqual([expect.stringMatching(/bucket does not exist \[NoSuchBucket\]$/)]);
    const noFile = await runCli(c('encrypt', '-i', file('nope'), '-o', file('x'), '--key', 'hsm://strongroom-dev-kek'));
    expect(errorLines(noFile.stderr)).toEqual([expect.stringMatching(/no such file: .*nope \[ENOENT\]$/)]);
    const usage = await runCli(c('encrypt', '-i', big, '--key', 'hsm://strongroom-dev-kek'));
    expect(errorLines(usage.stderr)).toEqual([expect.stringMatching(/--output.*\[USAGE\]$/)]);

    // Ctrl-C while waiting for stdin.
    const interrupted = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, ...c('encrypt', '-i', '-', '-o', file('int.enc'), '--key', 'hsm://strongroom-dev-kek')], {
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/using config/.test(stderr)) setTimeout(() => child.kill('SIGINT'), 1500).unref();
      });
      child.stdin.write('some plaintext');
      const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    expect(interrupted.code).toBe(EXIT.INTERRUPTED);
    expect(errorLines(interrupted.stderr)).toEqual(['strongroom: interrupted [ABORTED]']);
  });

  it('"No key provider could unwrap the data key" names the providers tried and why, without --verbose', async () => {
    writeFileSync(file('a.key'), randomBytes(32).toString('base64'), { mode: 0o600 });
    writeFileSync(file('b.key'), randomBytes(32).toString('base64'), { mode: 0o600 });
    const enc = await runCli(['encrypt', '-i', '-', '-o', file('raw.enc'), '--key', 'raw-aes://team/kek', '--key-file', file('a.key')], { stdin: 'secret' });
    expect(enc.code).toBe(0);
    const r = await runCli(['decrypt', '-i', file('raw.enc'), '-o', '-', '--key', 'raw-aes://team/kek', '--key-file', file('b.key')]);
    expect(r.code).toBe(EXIT.KEY);
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/No key provider could unwrap the data key; tried provider "team": AES-GCM authentication failed.*\[AUTHENTICATION_FAILED\]/);
    expect(lines[0]).not.toMatch(/see cause/);
    expect(lines[0]).toMatch(/\[NO_DECRYPTION_KEY\]$/);
  });

  it('a kms:// key in a disconnected custom key store says the command that reconnects it, which works as printed', async (t) => {
    if (!stack.config.cks.available) return t.skip(`custom key store not available: ${stack.config.cks.reason}`);
    const id = stack.config.cks.customKeyStoreId;
    expect((await runCli(c('kms', 'custom-key-stores', 'disconnect', id))).code).toBe(0);
    const r = await runCli(c('encrypt', '-i', '-', '-o', file('cks.enc'), '--key', `kms://${stack.config.cks.alias}`), { stdin: 'x' });
    expect(r.code).toBe(EXIT.KEY);
    const line = errorLines(r.stderr).at(-1)!;
    const command = /reconnect it with `strongroom ([^`]+)`/.exec(line)?.[1];
    expect(command).toBe(`kms custom-key-stores connect ${id}`);
    expect(line).toMatch(ENDS_WITH_CODE);
    const reconnect = await runCli(c(...command!.split(' ')));
    expect(reconnect.code).toBe(0);
    const again = await runCli(c('encrypt', '-i', '-', '-o', file('cks.enc'), '--key', `kms://${stack.config.cks.alias}`), { stdin: 'x' });
    expect(again.code).toBe(0);
  });

  it('on a 40-column terminal, the progress line fits and shows the rate and ETA', async (t) => {
    const script = scriptCommand();
    if (!script) return t.skip('util-linux script is not installed');
    const cmd = `stty cols 40 2>/dev/null; COLUMNS=40 ${process.execPath} ${CLI} --config ${config} encrypt -i ${big} -o ${file('narrow.enc')} --key hsm://strongroom-dev-kek`;
    const r = await onTerminal(script, cmd);
    expect(r.code).toBe(0);
    // Each redraw starts with a carriage return or a cursor-to-column-1 (CSI G); other sequences are not text.
    const drawn = r.output
      .replace(/\x1b\[[0-9]*G/g, '\n')
      .replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]/g, '')
      .split(/[\r\n]+/)
      .filter((l) => /encrypting|%/.test(l));
    expect(drawn.length).toBeGreaterThan(0);
    for (const line of drawn) expect(line.length).toBeLessThan(40);
    expect(drawn.at(-1)).toMatch(/100%/);
    expect(drawn.some((l) => /MiB\/s/.test(l))).toBe(true);
  });

  it('reading stdin from a terminal says so, and how to end it', async (t) => {
    const script = scriptCommand();
    if (!script) return t.skip('util-linux script is not installed');
    writeFileSync(file('tty.key'), randomBytes(32).toString('base64'), { mode: 0o600 });
    const cmd = `${process.execPath} ${CLI} encrypt -i - -o ${file('typed.enc')} --key raw-aes://team/kek --key-file ${file('tty.key')}`;
    const r = await onTerminal(script, cmd, (child, output) => {
      if (/end with Ctrl-D/.test(output())) {
        child.stdin!.write('typed secret\n');
        setTimeout(() => child.stdin!.write('\x04'), 300).unref();
        return true;
      }
      return false;
    });
    expect(r.output).toMatch(/strongroom: reading plaintext from the terminal; end with Ctrl-D/);
    expect(r.code).toBe(0);
    const dec = await runCli(['decrypt', '-i', file('typed.enc'), '-o', '-', '--key', 'raw-aes://team/kek', '--key-file', file('tty.key')]);
    expect(dec.stdout.toString()).toBe('typed secret\n');
  });

  it('accepts --requests-per-month 1000000000', async () => {
    const r = await runCli(c('compare', '--stack', 'running', '--backends', 'kms', '--duration', '20ms', '--concurrency', '1', '--cache', 'off', '--json', '--requests-per-month', '1000000000'));
    expect(errorLines(r.stderr).filter((l) => /^strongroom: /.test(l))).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/1000000000/);
  });
});
