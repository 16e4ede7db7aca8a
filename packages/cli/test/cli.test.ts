/**
 * The real `strongroom` binary as a child process against a real dev stack (HSM node processes,
 * kms-local, s3rver) on ephemeral ports: round trips for every key-URI kind, s3 cp both ways,
 * pipes, and the one-line errors with their exit codes (docs/cli.md#errors-and-exit-codes).
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openPkcs11 } from '@strongroom/provider-hsm';
import { startDevStack, type DevStack } from '../src/dev-stack';
import { softHsmUnavailable } from '../src/compare/softhsm';
import { EXIT } from '../src/exit';
import { CONFIG_NOTICE, errorLines, lines, runCli } from './helpers';

const execFileAsync = promisify(execFile);
let stack: DevStack;
let tmp: string;
let config: string;
let sample: Buffer;
let sampleFile: string;
const rawKey = randomBytes(32);
let pkcs11Env: Record<string, string> | undefined;
let closePkcs11: (() => Promise<void>) | undefined;

function file(name: string): string {
  return join(tmp, name);
}

/** A SoftHSM token with an AES key, and a config copy naming it (pkcs11:// round trips). */
async function setUpPkcs11(): Promise<void> {
  const reason = softHsmUnavailable();
  if (reason) {
    if (process.env.STRONGROOM_REQUIRE_ALL_SUITES === '1') throw new Error(`pkcs11 round trip: ${reason} (STRONGROOM_REQUIRE_ALL_SUITES=1)`);
    console.warn(`[skip] pkcs11:// round trip: ${reason}`);
    return;
  }
  const dir = join(tmp, 'softhsm');
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${dir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  // Read by this process's C_Initialize; unstubbed after the file (a worker runs further test files).
  vi.stubEnv('SOFTHSM2_CONF', conf);
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'cli-test', '--so-pin', 'so-pin-1', '--pin', 'user-pin-1'], { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'pipe' });
  const library = ['/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so', '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so'].find((p) => existsSync(p))!;
  const hsm = await openPkcs11({ library, tokenLabel: 'cli-test', pin: 'user-pin-1' });
  await hsm.generateAesKey({ label: 'p11-kek', bits: 256, token: true, extractable: false, encrypt: true, decrypt: true, wrap: true, unwrap: true });
  closePkcs11 = () => hsm.close();
  const withPkcs11 = JSON.parse(readFileSync(stack.configPath, 'utf8')) as Record<string, unknown>;
  withPkcs11.pkcs11 = { library, tokenLabel: 'cli-test', pinEnv: 'TEST_PKCS11_PIN' };
  writeFileSync(join(stack.dir, 'dev-pkcs11.json'), JSON.stringify(withPkcs11));
  pkcs11Env = { SOFTHSM2_CONF: conf, TEST_PKCS11_PIN: 'user-pin-1' };
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'strongroom-cli-test-'));
  stack = await startDevStack({ dir: join(tmp, 'stack') });
  config = stack.configPath;
  sample = randomBytes(1024 * 1024 + 17); // several 64 KiB frames and a partial one
  sampleFile = file('sample.bin');
  writeFileSync(sampleFile, sample);
  writeFileSync(file('raw.key'), rawKey.toString('base64'), { mode: 0o600 }); // a readable key file draws a warning
  await setUpPkcs11();
});

afterAll(async () => {
  await closePkcs11?.();
  vi.unstubAllEnvs();
  await stack?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const c = (...args: string[]) => ['--config', config, ...args];

// Independent child processes: run them concurrently to keep the suite short.
describe.concurrent('strongroom encrypt / decrypt', () => {
  const kinds: Array<[string, () => string, () => string[], Record<string, string>?]> = [
    ['kms alias', () => 'kms://alias/strongroom-dev', () => []],
    ['kms ARN', () => `kms://${stack.config.kms.keyArn}`, () => []],
    ['hsm label', () => 'hsm://strongroom-dev-kek', () => []],
    ['raw-aes, key file', () => 'raw-aes://cli-test/key-1', () => ['--key-file', file('raw.key')]],
    ['raw-aes, env', () => 'raw-aes://cli-test/key-1', () => [], { STRONGROOM_RAW_AES_KEY: rawKey.toString('base64') }],
  ];
  it.each(kinds)('round-trips a file with %s', async (_name, uri, extra, env) => {
    const enc = file(`enc-${_name.replace(/\W/g, '')}`);
    const dec = `${enc}.out`;
    const e = await runCli(c('encrypt', '-i', sampleFile, '-o', enc, '--key', uri(), '--context', 'tenant=acme', ...extra()), { env });
    expect(errorLines(e.stderr)).toEqual([]); // no progress bar off a TTY, no warnings
    // the config file and its endpoints are named (raw-aes:// keys use no config)
    if (uri().startsWith('raw-aes:')) expect(e.stderr).toBe('');
    else expect(e.stderr).toMatch(CONFIG_NOTICE);
    expect(e.code).toBe(0);
    expect(readFileSync(enc).subarray(0, 1)[0]).toBe(0x02); // ESDK message format version 2
    const d = await runCli(c('decrypt', '-i', enc, '-o', dec, '--key', uri(), '--context', 'tenant=acme', ...extra()), { env });
    expect(errorLines(d.stderr)).toEqual([]);
    expect(d.code).toBe(0);
    expect(readFileSync(dec).equals(sample)).toBe(true);
  });

  it('round-trips with pkcs11:// (SoftHSMv2)', async (t) => {
    if (!pkcs11Env) return t.skip();
    const cfg = join(stack.dir, 'dev-pkcs11.json');
    const e = await runCli(['--config', cfg, 'encrypt', '-i', sampleFile, '-o', file('p11.enc'), '--key', 'pkcs11://p11-kek'], { env: pkcs11Env });
    expect(errorLines(e.stderr)).toEqual([]);
    expect(e.stderr).toMatch(/PKCS#11 library \/\S+libsofthsm2\.so$/m);
    expect(e.code).toBe(0);
    const d = await runCli(['--config', cfg, 'decrypt', '-i', file('p11.enc'), '-o', '-', '--key', 'pkcs11://p11-kek'], { env: pkcs11Env });
    expect(d.code).toBe(0);
    expect(d.stdout.equals(sample)).toBe(true);
  });

  it('cks:// says, in one line, that the custom key store is not available yet (or round-trips once it is)', async () => {
    const uri = stack.config.cks.available ? `cks://${stack.config.cks.alias}` : 'cks://alias/strongroom-dev-cks';
    const e = await runCli(c('encrypt', '-i', sampleFile, '-o', file('cks.enc'), '--key', uri));
    if (stack.config.cks.available) {
      expect(e.code).toBe(0);
      const d = await runCli(c('decrypt', '-i', file('cks.enc'), '-o', '-', '--key', uri));
      expect(d.stdout.equals(sample)).toBe(true);
    } else {
      expect(e.code).toBe(EXIT.UNAVAILABLE);
      expect(errorLines(e.stderr)).toHaveLength(1);
      expect(e.stderr).toMatch(/^strongroom: cks: .*(not available|does not create one yet).*\[UNSUPPORTED\]$/m);
      expect(existsSync(file('cks.enc'))).toBe(false);
    }
  });

  it('works in a pipe: stdin → encrypt → decrypt → stdout', async () => {
    const env = { STRONGROOM_RAW_AES_KEY: rawKey.toString('hex') };
    const e = await runCli(c('encrypt', '-i', '-', '-o', '-', '--key', 'hsm://strongroom-dev-kek'), { stdin: sample, env });
    expect(e.code).toBe(0);
    expect(e.stdout.length).toBeGreaterThan(sample.length);
    const d = await runCli(c('decrypt', '-i', '-', '-o', '-', '--key', 'hsm://strongroom-dev-kek'), { stdin: e.stdout, env });
    expect(d.code).toBe(0);
    expect(d.stdout.equals(sample)).toBe(true);
    // and through a real shell pipe between two processes (async: kms-local runs in this process)
    const { stdout: out } = await execFileAsync('sh', ['-c', `node "$CLI" --config "$CFG" encrypt -i - -o - --key kms://alias/strongroom-dev < "$IN" | node "$CLI" --config "$CFG" decrypt -i - -o - --key kms://alias/strongroom-dev`], {
      env: { ...process.env, CLI: join(__dirname, '..', 'dist', 'cli.mjs'), CFG: config, IN: sampleFile, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'buffer',
      timeout: 60_000,
    });
    expect(out.equals(sample)).toBe(true);
  });
});

describe.concurrent('strongroom errors: one line, documented exit code, no partial output', () => {
  let kmsCiphertext: string;
  beforeAll(async () => {
    kmsCiphertext = file('errors.enc');
    const e = await runCli(c('encrypt', '-i', sampleFile, '-o', kmsCiphertext, '--key', 'hsm://strongroom-dev-kek', '--context', 'tenant=acme'));
    expect(e.code).toBe(0);
  });

  async function expectOneLineError(args: string[], code: number, pattern: RegExp, env?: Record<string, string>) {
    const out = file(`err-${randomBytes(4).toString('hex')}`);
    const r = await runCli([...args.map((a) => (a === 'OUT' ? out : a))], env ? { env } : {});
    expect(r.code).toBe(code);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^strongroom: /);
    expect(r.stderr).toMatch(pattern);
    expect(existsSync(out)).toBe(false);
    return r;
  }

  it('bad key URI → exit 2', async () => {
    await expectOneLineError(c('encrypt', '-i', sampleFile, '-o', 'OUT', '--key', 'vault://x'), EXIT.USAGE, /bad key URI.*unknown scheme/);
    await expectOneLineError(c('encrypt', '-i', sampleFile, '-o', 'OUT', '--key', 'kms://not-a-key'), EXIT.USAGE, /bad key URI/);
  });

  it('missing key → exit 3', async () => {
    await expectOneLineError(c('encrypt', '-i', sampleFile, '-o', 'OUT', '--key', 'hsm://no-such-label'), EXIT.KEY, /no HSM key labelled "no-such-label"/);
    await expectOneLineError(c('encrypt', '-i', sampleFile, '-o', 'OUT', '--key', 'kms://alias/no-such-alias'), EXIT.KEY, /does not exist/);
    await expectOneLineError(c('decrypt', '-i', kmsCiphertext, '-o', 'OUT', '--key', 'kms://alias/strongroom-dev'), EXIT.KEY, /NO_DECRYPTION_KEY/);
  });

  it('raw-aes without a key → exit 2', async () => {
    await expectOneLineError(c('encrypt', '-i', sampleFile, '-o', 'OUT', '--key', 'raw-aes://a/b'), EXIT.USAGE, /--key-file/, { STRONGROOM_RAW_AES_KEY: '' });
  });

  it('wrong context → exit 4', async () => {
    await expectOneLineError(c('decrypt', '-i', kmsCiphertext, '-o', 'OUT', '--key', 'hsm://strongroom-dev-kek', '--context', 'tenant=evil'), EXIT.DATA, /encryption context/i);
  });

  it('corrupted file → exit 4, and no partial plaintext is left behind', async () => {
    const bytes = readFileSync(kmsCiphertext);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    writeFileSync(file('corrupt.enc'), bytes);
    await expectOneLineError(c('decrypt', '-i', file('corrupt.enc'), '-o', 'OUT', '--key', 'hsm://strongroom-dev-kek', '--context', 'tenant=acme'), EXIT.DATA, /tampered|corrupt/);
    writeFileSync(file('truncated.enc'), bytes.subarray(0, 100));
    await expectOneLineError(c('decrypt', '-i', file('truncated.enc'), '-o', 'OUT', '--key', 'hsm://strongroom-dev-kek'), EXIT.DATA, /AUTHENTICATION_FAILED|MALFORMED/);
    writeFileSync(file('not-a-message.enc'), 'hello, world');
    await expectOneLineError(c('decrypt', '-i', file('not-a-message.enc'), '-o', 'OUT', '--key', 'hsm://strongroom-dev-kek'), EXIT.DATA, /MALFORMED/);
  });

  it('missing input file, missing option, no config → one line each', async () => {
    await expectOneLineError(c('encrypt', '-i', file('nope'), '-o', 'OUT', '--key', 'hsm://strongroom-dev-kek'), EXIT.BACKEND, /no such file/);
    await expectOneLineError(c('encrypt', '-i', sampleFile, '--key', 'hsm://strongroom-dev-kek'), EXIT.USAGE, /--output/);
    await expectOneLineError(['--config', file('missing.json'), 'encrypt', '-i', sampleFile, '-o', 'OUT', '--key', 'hsm://x'], EXIT.KEY, /strongroom dev/);
  });

  it('--verbose adds the stack', async () => {
    const r = await runCli(c('--verbose', 'encrypt', '-i', sampleFile, '-o', file('v.out'), '--key', 'hsm://no-such-label'));
    expect(r.code).toBe(EXIT.KEY);
    expect(lines(r.stderr).length).toBeGreaterThan(2);
    expect(r.stderr).toMatch(/\n\s+at keyProviderFromUri /);
  });

  it('draws a progress bar on a terminal (stderr is a TTY)', async (t) => {
    // util-linux `script` runs the command on a pseudo-terminal.
    let script: string;
    try {
      script = execFileSync('sh', ['-c', 'command -v script']).toString().trim();
    } catch {
      return t.skip();
    }
    const cmd = `node ${join(__dirname, '..', 'dist', 'cli.mjs')} --config ${config} encrypt -i ${sampleFile} -o ${file('tty.enc')} --key hsm://strongroom-dev-kek`;
    const { stdout } = await execFileAsync(script, ['-qec', cmd, '/dev/null'], { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, timeout: 60_000 });
    expect(stdout).toMatch(/encrypting \[.*\] 100% 1\.0 MiB\/1\.0 MiB/);
    expect(readFileSync(file('tty.enc')).length).toBeGreaterThan(sample.length);
  });

  it('--help exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/compare/);
  });
});

describe('strongroom s3 cp', () => {
  it('uploads encrypted and downloads decrypted, both ways, for kms and hsm keys', async () => {
    for (const [uri, name, ctx] of [['hsm://strongroom-dev-kek', 'h.bin', []], ['kms://alias/strongroom-dev', 'k.bin', ['--context', 'purpose=test']]] as const) {
      const up = await runCli(c('s3', 'cp', sampleFile, `s3://strongroom-dev/cli/${name}`, '--key', uri, ...ctx, '--part-size', '512KiB'));
      expect(errorLines(up.stderr)).toEqual([]);
      expect(up.code).toBe(0);
      const down = await runCli(c('s3', 'cp', `s3://strongroom-dev/cli/${name}`, file(`down-${name}`), '--key', uri, ...ctx));
      expect(errorLines(down.stderr)).toEqual([]);
      expect(down.code).toBe(0);
      expect(readFileSync(file(`down-${name}`)).equals(sample)).toBe(true);
    }
    // What is stored is ciphertext: a plain download does not contain the plaintext.
    const raw = stack.config.s3; // endpoint of the local S3
    const res = await fetch(`${raw.endpoint}/strongroom-dev/cli/h.bin`);
    const stored = Buffer.from(await res.arrayBuffer());
    expect(stored.length).toBeGreaterThanOrEqual(sample.length);
    expect(stored.subarray(0, 4096).equals(sample.subarray(0, 4096))).toBe(false);
  });

  it('streams stdin up and stdout down', async () => {
    const up = await runCli(c('s3', 'cp', '-', 's3://strongroom-dev/cli/pipe.bin', '--key', 'hsm://strongroom-dev-kek'), { stdin: sample });
    expect(up.code).toBe(0);
    const down = await runCli(c('s3', 'cp', 's3://strongroom-dev/cli/pipe.bin', '-', '--key', 'hsm://strongroom-dev-kek'));
    expect(down.code).toBe(0);
    expect(down.stdout.equals(sample)).toBe(true);
  });

  it('refuses --context with keys whose S3EC wrap cannot bind it (--format v3), and on V3 downloads', async () => {
    const r = await runCli(c('s3', 'cp', sampleFile, 's3://strongroom-dev/cli/ctx.bin', '--key', 'hsm://strongroom-dev-kek', '--context', 'a=b', '--format', 'v3'));
    expect(r.code).toBe(EXIT.USAGE);
    expect(errorLines(r.stderr)).toHaveLength(1);
    const v3 = await runCli(c('s3', 'cp', sampleFile, 's3://strongroom-dev/cli/v3.bin', '--key', 'hsm://strongroom-dev-kek', '--format', 'v3'));
    expect(v3.code).toBe(0);
    // The object's AES/GCM wrap stores no context: the library refuses the one passed (ENCRYPTION_CONTEXT).
    const down = await runCli(c('s3', 'cp', 's3://strongroom-dev/cli/v3.bin', file('v3-ctx'), '--key', 'hsm://strongroom-dev-kek', '--context', 'a=b'));
    expect(down.code).toBe(EXIT.DATA);
    expect(errorLines(down.stderr)).toHaveLength(1);
    expect(down.stderr.toString()).toContain('ENCRYPTION_CONTEXT');
    expect(existsSync(file('v3-ctx'))).toBe(false);
  }, 120_000);

  it('framed objects (the default) bind --context with any key: the wrong context or none fails, nothing written', async () => {
    const up = await runCli(c('s3', 'cp', sampleFile, 's3://strongroom-dev/cli/framed-ctx.bin', '--key', 'hsm://strongroom-dev-kek', '--context', 'tenant=acme'));
    expect(errorLines(up.stderr)).toEqual([]);
    expect(up.code).toBe(0);
    const ok = await runCli(c('s3', 'cp', 's3://strongroom-dev/cli/framed-ctx.bin', '-', '--key', 'hsm://strongroom-dev-kek', '--context', 'tenant=acme'));
    expect(ok.code).toBe(0);
    expect(ok.stdout.equals(sample)).toBe(true);
    for (const ctx of [['--context', 'tenant=evil'], []]) {
      const bad = await runCli(c('s3', 'cp', 's3://strongroom-dev/cli/framed-ctx.bin', file('framed-ctx'), '--key', 'hsm://strongroom-dev-kek', ...ctx));
      expect(bad.code).toBe(EXIT.DATA);
      expect(errorLines(bad.stderr)).toHaveLength(1);
      expect(existsSync(file('framed-ctx'))).toBe(false);
    }
  }, 120_000);

  it('fails in one line for a missing object or the wrong key', async () => {
    const missing = await runCli(c('s3', 'cp', 's3://strongroom-dev/cli/none', file('none'), '--key', 'hsm://strongroom-dev-kek'));
    expect(missing.code).toBe(EXIT.KEY);
    expect(errorLines(missing.stderr)).toHaveLength(1);
    const wrong = await runCli(c('s3', 'cp', 's3://strongroom-dev/cli/h.bin', file('wrong'), '--key', 'kms://alias/strongroom-dev'));
    expect(wrong.code).not.toBe(0);
    expect(errorLines(wrong.stderr)).toHaveLength(1);
    expect(existsSync(file('wrong'))).toBe(false);
  });
});

describe('strongroom hsm / kms administration', () => {
  it('manages users, keys, sync status and audit logs on the cluster', async () => {
    const users = await runCli(c('hsm', 'users', 'list'));
    expect(users.code).toBe(0);
    expect(users.stdout.toString()).toMatch(/app\s+crypto-user/);
    const created = await runCli(c('hsm', 'users', 'create', 'carol'), { env: { STRONGROOM_HSM_NEW_PASSWORD: 'carol-password-1' } });
    expect(created.code).toBe(0);
    expect((await runCli(c('hsm', 'keys', 'create', '--label', 'cli-made'))).code).toBe(0);
    expect((await runCli(c('hsm', 'keys', 'list'))).stdout.toString()).toMatch(/cli-made/);
    const enc = await runCli(c('encrypt', '-i', '-', '-o', '-', '--key', 'hsm://cli-made'), { stdin: 'secret' });
    expect(enc.code).toBe(0);
    const sync = await runCli(c('hsm', 'sync', 'status'));
    expect(sync.code).toBe(0);
    expect(sync.stdout.toString().match(/ACTIVE/g)).toHaveLength(3);
    const audit = await runCli(c('hsm', 'audit', 'verify'));
    expect(audit.code).toBe(0);
    expect(audit.stdout.toString().match(/^ok/gm)).toHaveLength(3);
  });

  /** `hsm keys list` logs in on node 0 as `user`: proves the password the CLI set. */
  async function loginWorks(user: string, password: string): Promise<boolean> {
    const raw = JSON.parse(readFileSync(config, 'utf8')) as { hsm: Record<string, unknown> };
    raw.hsm.user = user;
    raw.hsm.password = password;
    const copy = file(`as-${user}.json`);
    writeFileSync(copy, JSON.stringify(raw), { mode: 0o600 });
    return (await runCli(['--config', copy, 'hsm', 'keys', 'list'])).code === 0;
  }

  it('takes a new password from --password-file or env, warns when the file is readable by others, never needs argv', async () => {
    const pw = file('erin.pw');
    writeFileSync(pw, 'erin-password-1\n', { mode: 0o600 });
    const quiet = await runCli(c('hsm', 'users', 'create', 'erin', '--password-file', pw));
    expect(quiet.code).toBe(0);
    expect(errorLines(quiet.stderr)).toEqual([]);
    expect(await loginWorks('erin', 'erin-password-1')).toBe(true);
    expect(await loginWorks('erin', 'erin-password-1\n')).toBe(false);

    const open = file('gina.pw');
    writeFileSync(open, 'gina-password-1');
    chmodSync(open, 0o644);
    const warned = await runCli(c('hsm', 'users', 'create', 'gina', '--password-file', open));
    expect(warned.code).toBe(0);
    expect(errorLines(warned.stderr)).toEqual([`strongroom: warning: --password-file ${open} is readable by every user; chmod 600 ${open}`]);

    const env = await runCli(c('hsm', 'users', 'create', 'hank', '--password-env', 'HANK_PW'), { env: { HANK_PW: 'hank-password-1' } });
    expect(env.code).toBe(0);
    expect(await loginWorks('hank', 'hank-password-1')).toBe(true);

    const none = await runCli(c('hsm', 'users', 'create', 'ivan'), { env: { STRONGROOM_HSM_NEW_PASSWORD: '' } });
    expect(none.code).toBe(EXIT.USAGE);
    expect(errorLines(none.stderr)).toHaveLength(1);
    expect(none.stderr).toMatch(/--password-file FILE.*STRONGROOM_HSM_NEW_PASSWORD.*terminal.*never on the command line/);
  });

  it('prompts for the password on a terminal without echoing it', async (t) => {
    // util-linux `script` runs the command on a pseudo-terminal and forwards our stdin to it.
    let script: string;
    try {
      script = execFileSync('sh', ['-c', 'command -v script']).toString().trim();
    } catch {
      return t.skip('util-linux script is not installed');
    }
    const cmd = `node ${join(__dirname, '..', 'dist', 'cli.mjs')} --config ${config} hsm users create jill`;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(script, ['-qec', cmd, '/dev/null'], { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', STRONGROOM_HSM_NEW_PASSWORD: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
      let text = '';
      let typed = false;
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        if (!typed && text.includes('password for the new HSM user jill: ')) {
          typed = true;
          child.stdin.write('jill-password-1\r');
        }
      });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}: ${text}`))));
    });
    expect(out).toMatch(/created crypto-user jill/);
    expect(out).not.toContain('jill-password-1');
    expect(await loginWorks('jill', 'jill-password-1')).toBe(true);
  });

  it('audit verify detects an edited log (exit 4)', async () => {
    const log = join(stack.config.hsmClusterDir, 'nodes');
    const nodeDir = readdirSync(log)[0]!;
    const copy = file('audit-copy.log');
    const text = readFileSync(join(log, nodeDir, 'audit.log'), 'utf8');
    writeFileSync(copy, text.replace('"SUCCESS"', '"ERROR"'));
    const r = await runCli(c('hsm', 'audit', 'verify', copy));
    expect(r.code).toBe(EXIT.DATA);
    expect(r.stdout.toString()).toMatch(/BROKEN/);
  });

  it('creates KMS keys and aliases', async () => {
    const k = await runCli(c('kms', 'create-key', '--alias', 'alias/cli-made'));
    expect(k.code).toBe(0);
    expect(k.stdout.toString()).toMatch(/^arn:aws:kms:us-east-1:\d{12}:key\//);
    expect((await runCli(c('kms', 'aliases', 'list'))).stdout.toString()).toMatch(/alias\/cli-made/);
    const enc = await runCli(c('encrypt', '-i', '-', '-o', '-', '--key', 'kms://alias/cli-made'), { stdin: 'x' });
    expect(enc.code).toBe(0);
    const stores = await runCli(c('kms', 'custom-key-stores', 'list'));
    expect(stores.code).toBe(0);
    if (stack.config.cks.available) {
      const id = stack.config.cks.customKeyStoreId;
      expect(stores.stdout.toString()).toMatch(new RegExp(`${id}\\s+strongroom-dev\\s+CONNECTED`));
      expect((await runCli(c('kms', 'custom-key-stores', 'disconnect', id))).code).toBe(0);
      expect((await runCli(c('kms', 'custom-key-stores', 'list'))).stdout.toString()).toMatch(/DISCONNECTED/);
      const connected = await runCli(c('kms', 'custom-key-stores', 'connect', id));
      expect(connected.code).toBe(0);
      expect(connected.stdout.toString()).toMatch(/CONNECTED/);
      const enc = await runCli(c('encrypt', '-i', '-', '-o', '-', '--key', `cks://${stack.config.cks.alias}`), { stdin: 'in the store' });
      expect(enc.code).toBe(0);
    }
  });
});

describe('strongroom compare', () => {
  it('prints the table, cost model and matrix; --json and --html', async () => {
    const html = file('report.html');
    const r = await runCli(c('compare', '--stack', 'running', '--backends', 'kms,hsm,cks', '--duration', '100ms', '--concurrency', '1,4', '--html', html));
    expect(r.code).toBe(0);
    const text = r.stdout.toString();
    expect(text).toMatch(/backend\s+payload\s+conc\s+cache\s+ops\s+ops\/s\s+p50 ms\s+p95 ms\s+p99 ms\s+calls\/op\s+cache hit/);
    expect(text).toMatch(/^kms\s+1KiB\s+1\s+off/m);
    expect(text).toMatch(/^hsm\s+1KiB\s+4\s+on/m);
    expect(text).toMatch(/cost per month/);
    expect(text).toMatch(/as recorded on \d{4}-\d{2}-\d{2}/);
    expect(text).toMatch(/tenancy:/);
    expect(readFileSync(html, 'utf8')).toMatch(/<svg class="chart"/);
    const j = await runCli(c('compare', '--stack', 'running', '--backends', 'hsm', '--duration', '50ms', '--concurrency', '2', '--cache', 'off', '--json', '--price-cloudhsm-hour', '2'));
    expect(j.code).toBe(0);
    const report = JSON.parse(j.stdout.toString()) as { results: Array<{ backend: string; ops: number; backendCallsPerOp: number }>; cost: { prices: { cloudHsmHour: number } } };
    expect(report.results).toHaveLength(1);
    expect(report.results[0]!.ops).toBeGreaterThan(0);
    // generate + wrap + unwrap inside the HSM for every uncached encrypt+decrypt
    expect(report.results[0]!.backendCallsPerOp).toBeGreaterThanOrEqual(2);
    expect(report.cost.prices.cloudHsmHour).toBe(2);
  });

  it('rejects bad flags in one line', async () => {
    const r = await runCli(c('compare', '--backends', 'kms,vault'));
    expect(r.code).toBe(EXIT.USAGE);
    expect(errorLines(r.stderr)).toHaveLength(1);
    const d = await runCli(c('compare', '--duration', 'forever'));
    expect(d.code).toBe(EXIT.USAGE);
  });
});
