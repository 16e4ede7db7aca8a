/**
 * `strongroom hsm quorum` end to end against a real dev stack: each admin registers a quorum key
 * (generated 0600, never echoed), the user quorum goes to 2, and quorum-governed commands then need
 * the approvals of two admins (AWS CloudHSM quorum authentication:
 * https://docs.aws.amazon.com/cloudhsm/latest/userguide/quorum-auth-chsm-cli.html).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../src/dev-stack';
import { runCli } from './helpers';

let stack: DevStack;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'strongroom-cli-quorum-'));
  stack = await startDevStack({ dir: join(tmp, 'stack') });
});

afterAll(async () => {
  await stack?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const c = (...args: string[]) => ['--config', stack.configPath, ...args];
const ADMIN2 = { STRONGROOM_HSM_NEW_PASSWORD: 'admin2-pass-1', STRONGROOM_HSM_ADMIN_PASSWORD: 'admin2-pass-1' };

async function ok(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await runCli(c(...args), { env });
  if (r.code !== 0) throw new Error(`strongroom ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout.toString();
}

describe('strongroom hsm quorum', () => {
  it('register-key, set user 2, and quorum-governed commands with and without approvals', { timeout: 300_000 }, async () => {
    const k1 = join(tmp, 'admin.quorum.pem');
    const k2 = join(tmp, 'admin2.quorum.pem');
    const out1 = await ok(['hsm', 'quorum', 'register-key', '--key-file', k1]);
    expect(out1).toMatch(/generated the quorum key .* registered its public key for admin admin/);
    expect(statSync(k1).mode & 0o777).toBe(0o600);
    const pem = readFileSync(k1, 'utf8');
    expect(pem).toContain('PRIVATE KEY');
    expect(out1).not.toContain(pem.split('\n')[1]!);
    // Registering again reads the existing file; it is never overwritten.
    expect(await ok(['hsm', 'quorum', 'register-key', '--key-file', k1])).toMatch(/read the quorum key/);
    expect(readFileSync(k1, 'utf8')).toBe(pem);

    await ok(['hsm', 'users', 'create', 'admin2', '--role', 'admin'], ADMIN2);
    await ok(['hsm', 'quorum', 'register-key', '--key-file', k2, '--user', 'admin2'], ADMIN2);
    expect(await ok(['hsm', 'quorum', 'set', 'user', '2'])).toContain('"user":2');

    const alone = await runCli(c('hsm', 'users', 'create', 'carol'), { env: { STRONGROOM_HSM_NEW_PASSWORD: 'carol-pass-1' } });
    expect(alone.code).not.toBe(0);
    expect(alone.stderr).toMatch(/quorum/i);
    const oneApproval = await runCli(c('hsm', 'users', 'create', 'carol', '--approver', `admin=${k1}`), { env: { STRONGROOM_HSM_NEW_PASSWORD: 'carol-pass-1' } });
    expect(oneApproval.code).not.toBe(0);
    expect(oneApproval.stderr).toMatch(/1 of 2/);
    await ok(['hsm', 'users', 'create', 'carol', '--approver', `admin=${k1}`, '--approver', `admin2=${k2}`], { STRONGROOM_HSM_NEW_PASSWORD: 'carol-pass-1' });
    expect(await ok(['hsm', 'users', 'list'])).toContain('carol');

    // Lowering the user quorum needs the higher quorum in force (2), not the quorum service's 1.
    const downgrade = await runCli(c('hsm', 'quorum', 'set', 'user', '1'));
    expect(downgrade.code).not.toBe(0);
    expect(await ok(['hsm', 'quorum', 'set', 'user', '1', '--approver', `admin=${k1}`, '--approver', `admin2=${k2}`])).toContain('"user":1');
  });
});
