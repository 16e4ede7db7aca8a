/**
 * Which config file the CLI trusts (docs/cli.md#which-config-file, issue 18 item 7). A config file
 * names the endpoints that receive key requests and, for pkcs11:// keys, a shared library the CLI
 * loads (dlopen runs its constructors). So it is read only when named (`--config`, env
 * STRONGROOM_CONFIG) or found in the user's own config directory ($XDG_CONFIG_HOME/strongroom,
 * else ~/.config/strongroom), never from the working directory; a relative `pkcs11.library`
 * resolves from the config file's directory; and stderr says which file and endpoints are used.
 *
 * The attacker: a cloned repository with a `.strongroom/dev.json` pointing at their KMS endpoint
 * (an HTTP server here that counts requests) and at their PKCS#11 "module" (a shared object whose
 * ELF constructor drops a marker file, built with the system C compiler).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/exit';
import { runCli, testDevJson } from './helpers';

let tmp: string;
let attacker: Server;
let attackerHits = 0;
let attackerUrl: string;
let closedPort: number;
let ccMissing: string | undefined;

/** A shared object whose constructor creates `marker` (what loading an attacker's library means). */
function buildMarkerLibrary(path: string, marker: string): void {
  const src = `${path}.c`;
  writeFileSync(src, `#include <fcntl.h>\n#include <unistd.h>\n__attribute__((constructor)) static void pwn(void) { int fd = open(${JSON.stringify(marker)}, O_CREAT | O_WRONLY, 0644); if (fd >= 0) close(fd); }\n`);
  execFileSync('cc', ['-shared', '-fPIC', '-o', path, src], { stdio: 'pipe' });
}


/** A directory that looks like a cloned repository with the attacker's `.strongroom/dev.json`. */
function evilRepo(name: string, pkcs11?: Record<string, unknown>): string {
  const repo = join(tmp, name);
  mkdirSync(join(repo, '.strongroom'), { recursive: true });
  writeFileSync(join(repo, '.strongroom', 'dev.json'), testDevJson(attackerUrl, { pkcs11 }));
  writeFileSync(join(repo, 'README.md'), 'a file to encrypt\n');
  return repo;
}

/** No config of the user's own, and kms:// without a config goes to a closed local port, not AWS. */
function cleanEnv(home: string): Record<string, string | undefined> {
  mkdirSync(home, { recursive: true });
  return {
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    STRONGROOM_CONFIG: undefined,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'not-a-secret',
    AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${closedPort}`,
    AWS_CONFIG_FILE: join(home, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
  };
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'strongroom-config-trust-'));
  attacker = createServer((req, res) => {
    attackerHits++;
    req.resume();
    res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' }).end('{"__type":"NotFoundException","message":"attacker"}');
  });
  await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  try {
    execFileSync('sh', ['-c', 'command -v cc'], { stdio: 'pipe' });
  } catch {
    ccMissing = 'no C compiler (cc) to build the marker library';
  }
});

afterAll(async () => {
  await new Promise<void>((r) => attacker?.close(() => r()));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('a config file in the working directory is never used silently', () => {
  it('kms:// inside a cloned repo does not send a request to the endpoint its .strongroom/dev.json names', async () => {
    const repo = evilRepo('repo-kms');
    const before = attackerHits;
    const r = await runCli(['encrypt', '-i', 'README.md', '-o', 'README.md.enc', '--key', 'kms://alias/x'], { cwd: repo, env: cleanEnv(join(tmp, 'home-kms')) });
    expect(attackerHits - before).toBe(0);
    expect(r.code).not.toBe(EXIT.OK); // the closed port stands in for AWS here
    expect(r.stderr).toMatch(/no config file/);
    expect(existsSync(join(repo, 'README.md.enc'))).toBe(false);
  });

  it('pkcs11:// inside a cloned repo does not load the library its .strongroom/dev.json names', async (t) => {
    if (ccMissing) return t.skip(ccMissing);
    const marker = join(tmp, 'pwned-cwd');
    const repo = evilRepo('repo-p11', { library: './evil.so', tokenLabel: 't', pin: '1234' });
    buildMarkerLibrary(join(repo, 'evil.so'), marker);
    const r = await runCli(['encrypt', '-i', 'README.md', '-o', 'README.md.enc', '--key', 'pkcs11://k'], { cwd: repo, env: cleanEnv(join(tmp, 'home-p11')) });
    expect(existsSync(marker)).toBe(false);
    expect(r.code).toBe(EXIT.KEY); // no config: pkcs11:// needs one
    expect(r.stderr).toMatch(/not read from the working directory/);
  });
});

describe('where the config comes from', () => {
  it('a relative pkcs11.library resolves from the config file’s directory, not the working directory', async (t) => {
    if (ccMissing) return t.skip(ccMissing);
    const configDir = join(tmp, 'cfg-dir');
    const cwd = join(tmp, 'elsewhere');
    mkdirSync(join(configDir, 'lib'), { recursive: true });
    mkdirSync(join(cwd, 'lib'), { recursive: true });
    const fromConfigDir = join(tmp, 'loaded-from-config-dir');
    const fromCwd = join(tmp, 'loaded-from-cwd');
    buildMarkerLibrary(join(configDir, 'lib', 'p11.so'), fromConfigDir);
    buildMarkerLibrary(join(cwd, 'lib', 'p11.so'), fromCwd);
    const config = join(configDir, 'dev.json');
    writeFileSync(config, testDevJson(attackerUrl, { pkcs11: { library: 'lib/p11.so', tokenLabel: 't', pin: '1234' } }));
    writeFileSync(join(cwd, 'in.txt'), 'x');
    const r = await runCli(['--config', config, 'encrypt', '-i', 'in.txt', '-o', 'out.enc', '--key', 'pkcs11://k'], { cwd, env: cleanEnv(join(tmp, 'home-rel')) });
    expect(existsSync(fromCwd)).toBe(false);
    expect(existsSync(fromConfigDir)).toBe(true); // it is not a PKCS#11 module, so the command then fails
    expect(r.code).not.toBe(EXIT.OK);
    expect(r.stderr).toContain(`using config ${config}`);
    expect(r.stderr).toContain(join(configDir, 'lib', 'p11.so'));
  });

  it('uses $XDG_CONFIG_HOME/strongroom/dev.json and says so, with the endpoint', async () => {
    const home = join(tmp, 'home-xdg');
    const env = cleanEnv(home);
    mkdirSync(join(home, '.config', 'strongroom'), { recursive: true });
    const config = join(home, '.config', 'strongroom', 'dev.json');
    writeFileSync(config, testDevJson(attackerUrl), { mode: 0o600 });
    const before = attackerHits;
    const r = await runCli(['encrypt', '-i', 'README.md', '-o', join(tmp, 'xdg.enc'), '--key', 'kms://alias/x'], { cwd: evilRepo('repo-xdg'), env });
    expect(attackerHits - before).toBeGreaterThan(0); // the user's own file is used (it points at the counting server)
    expect(r.stderr).toContain(`using config ${config} (user config directory); KMS ${attackerUrl}`);
  });

  it('falls back to ~/.config/strongroom/dev.json without XDG_CONFIG_HOME, and env STRONGROOM_CONFIG names a file', async () => {
    const home = join(tmp, 'home-dot');
    const env = { ...cleanEnv(home), XDG_CONFIG_HOME: undefined };
    mkdirSync(join(home, '.config', 'strongroom'), { recursive: true });
    const config = join(home, '.config', 'strongroom', 'dev.json');
    writeFileSync(config, testDevJson(attackerUrl), { mode: 0o600 });
    const r = await runCli(['encrypt', '-i', 'README.md', '-o', join(tmp, 'dot.enc'), '--key', 'kms://alias/x'], { cwd: evilRepo('repo-dot'), env });
    expect(r.stderr).toContain(`using config ${config} (user config directory)`);
    const named = join(tmp, 'named.json');
    writeFileSync(named, testDevJson(attackerUrl));
    const n = await runCli(['encrypt', '-i', 'README.md', '-o', join(tmp, 'named.enc'), '--key', 'kms://alias/x'], { cwd: evilRepo('repo-named'), env: { ...env, STRONGROOM_CONFIG: named } });
    expect(n.stderr).toContain(`using config ${named} (env STRONGROOM_CONFIG)`);
  });

  it('refuses a config file that other users can write', async () => {
    const config = join(tmp, 'writable.json');
    writeFileSync(config, testDevJson(attackerUrl));
    execFileSync('chmod', ['0666', config]);
    const before = attackerHits;
    const r = await runCli(['--config', config, 'encrypt', '-i', 'README.md', '-o', join(tmp, 'w.enc'), '--key', 'kms://alias/x'], { cwd: evilRepo('repo-w'), env: cleanEnv(join(tmp, 'home-w')) });
    expect(attackerHits - before).toBe(0);
    expect(r.code).toBe(EXIT.KEY);
    expect(r.stderr).toMatch(/writable by other users.*chmod go-w/);
  });
});
