/**
 * Files the CLI reads because a flag or the config names them are read bounded (@strongroom/node-files):
 * a FIFO named as the config (a blocking open/read would hang the command forever) and /dev/zero named
 * as a certificate path in the config (an endless read would exhaust memory) are refused at once,
 * typed, naming the file — the attack on the old code was `readFileSync` of whatever path was given.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/exit';
import { errorLines, runCli, testDevJson } from './helpers';

let tmp: string;
let cfgDir: string;


beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'strongroom-bounded-'));
  cfgDir = join(tmp, 'cfg');
  mkdirSync(cfgDir, { mode: 0o700 });
  writeFileSync(join(tmp, 'plain.txt'), 'x\n');
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const env = () => ({ HOME: tmp, XDG_CONFIG_HOME: join(tmp, 'xdg'), STRONGROOM_CONFIG: undefined });

describe('paths from flags and the config are read bounded', () => {
  it('--config naming a FIFO with no writer: refused at once, not a hang', async () => {
    const fifo = join(cfgDir, 'fifo.json');
    execFileSync('mkfifo', ['-m', '600', fifo]);
    const r = await runCli(['--config', fifo, 'encrypt', '-i', join(tmp, 'plain.txt'), '-o', join(tmp, 'out'), '--key', 'hsm://k'], { env: env(), timeoutMs: 45_000 });
    expect(r.code).not.toBeNull(); // not killed by the test's timer
    expect(r.code).toBe(EXIT.USAGE);
    expect(errorLines(r.stderr)).toEqual([`strongroom: dev config ${fifo}: is a FIFO (named pipe), not a regular file; name the file itself [INVALID_ARGUMENT]`]);
  }, 60_000);

  it('a certificate path of /dev/zero in the config: refused at once, naming the field, not read forever', async () => {
    const config = join(cfgDir, 'dev.json');
    writeFileSync(config, testDevJson('http://127.0.0.1:1', { hsm: { trustAnchorPath: '/dev/zero', clientCertPath: '/dev/zero', clientKeyPath: '/dev/zero' } }), { mode: 0o600 });
    const r = await runCli(['--config', config, 'encrypt', '-i', join(tmp, 'plain.txt'), '-o', join(tmp, 'out'), '--key', 'hsm://k'], { env: env(), timeoutMs: 45_000 });
    expect(r.code).toBe(EXIT.USAGE);
    expect(errorLines(r.stderr)).toEqual(['strongroom: dev config hsm.trustAnchorPath /dev/zero: is a character device, not a regular file; name the file itself [INVALID_ARGUMENT]']);
  }, 60_000);
});
