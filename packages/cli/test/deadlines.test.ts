/**
 * Every remote request of the CLI has a deadline (docs/cli.md#timeouts): a peer that accepts the TCP
 * connection and never answers — a black hole here, a listening socket that reads nothing and writes
 * nothing — must not hang a command. With env STRONGROOM_TIMEOUT=1 the KMS key lookup of `encrypt`,
 * `kms list-keys` and `kms create-key`, and an `s3 cp` upload, end with an error that names the
 * missing answer and a non-zero exit, well before the test's own kill timer. A create is sent once:
 * a black hole that saw one CreateKey must not see a second.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/exit';
import { runCli, testDevJson } from './helpers';

let tmp: string;
let hole: net.Server;
let holeUrl: string;
const held = new Set<net.Socket>();
/** Request heads seen by the black hole (it reads them, it never answers). */
const seen: string[] = [];
let config: string;


beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'strongroom-deadlines-'));
  hole = net.createServer((s) => {
    held.add(s);
    s.on('data', (d: Buffer) => seen.push(d.toString('latin1', 0, Math.min(d.length, 512))));
    s.on('error', () => undefined);
    s.on('close', () => held.delete(s));
  });
  await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
  holeUrl = `http://127.0.0.1:${(hole.address() as net.AddressInfo).port}`;
  const dir = join(tmp, 'cfg');
  mkdirSync(dir, { mode: 0o700 });
  config = join(dir, 'dev.json');
  writeFileSync(config, testDevJson(holeUrl), { mode: 0o600 });
  writeFileSync(join(tmp, 'plain.txt'), 'a file to encrypt\n');
  writeFileSync(join(tmp, 'key.hex'), '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n', { mode: 0o600 });
});

afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise<void>((r) => hole?.close(() => r()));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const env = (timeout = '1') => ({ STRONGROOM_TIMEOUT: timeout, HOME: tmp, XDG_CONFIG_HOME: join(tmp, 'xdg') });
const targets = (name: string) => seen.filter((h) => h.toLowerCase().includes(`trentservice.${name.toLowerCase()}`)).length;

describe('a KMS or S3 endpoint that never answers (black hole)', () => {
  it('encrypt --key kms://…: the key lookup ends at the deadline with a typed error, not a hang', async () => {
    const r = await runCli(['--config', config, 'encrypt', '-i', join(tmp, 'plain.txt'), '-o', join(tmp, 'out.enc'), '--key', 'kms://alias/x'], { env: env(), timeoutMs: 45_000 });
    expect(r.code).not.toBeNull(); // not killed by the test's timer
    expect(r.code).toBe(EXIT.BACKEND);
    expect(r.stderr).toMatch(/KMS DescribeKey for alias\/x: no answer within 1000 ms.*STRONGROOM_TIMEOUT/);
  }, 60_000);

  it('kms list-keys ends at the deadline; kms create-key is sent once, never retried', async () => {
    const list = await runCli(['--config', config, 'kms', 'list-keys'], { env: env(), timeoutMs: 45_000 });
    expect(list.code).toBe(EXIT.BACKEND);
    expect(list.stderr).toMatch(/KMS ListKeys: no answer within 1000 ms/);
    const before = targets('CreateKey');
    const create = await runCli(['--config', config, 'kms', 'create-key'], { env: env(), timeoutMs: 45_000 });
    expect(create.code).toBe(EXIT.BACKEND);
    expect(create.stderr).toMatch(/KMS CreateKey: no answer within 1000 ms \(one attempt/);
    expect(targets('CreateKey') - before).toBe(1);
  }, 60_000);

  it('s3 cp upload ends at the deadline (socket silence), not a hang', async () => {
    const r = await runCli(['--config', config, 's3', 'cp', join(tmp, 'plain.txt'), 's3://bucket/k', '--key', 'raw-aes://ns/name', '--key-file', join(tmp, 'key.hex')], { env: env(), timeoutMs: 45_000 });
    expect(r.code).not.toBeNull();
    expect(r.code).toBe(EXIT.BACKEND);
    expect(r.stderr).toMatch(/timed out after 1000 ms of inactivity.*STRONGROOM_TIMEOUT \(seconds\) \[TimeoutError\]/);
  }, 60_000);

  it('refuses a STRONGROOM_TIMEOUT that is not a positive number of seconds', async () => {
    const r = await runCli(['--config', config, 'kms', 'list-keys'], { env: env('0'), timeoutMs: 45_000 });
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toMatch(/STRONGROOM_TIMEOUT: expected seconds/);
  }, 60_000);
});
