/**
 * The `pkcs11` backend of `strongroom compare`: a throw-away SoftHSMv2 token (Debian `softhsm2`)
 * behind the same PKCS#11 client that talks to AWS CloudHSM in production. SoftHSM reads
 * SOFTHSM2_CONF once per process, at C_Initialize, so this sets it before the first open.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { HsmKeyProvider, openPkcs11 } from '@strongroom/provider-hsm';
import { StrongroomError } from '@strongroom/core';
import { countingHsmBackend, type OpenedProvider } from '../providers';

const LIBRARIES = [
  process.env.SOFTHSM2_LIB,
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
];

/** Why SoftHSM cannot be used here, or undefined when it can. */
export function softHsmUnavailable(): string | undefined {
  if (!LIBRARIES.some((p) => !!p && existsSync(p))) return 'SoftHSMv2 is not installed (apt-get install softhsm2)';
  try {
    execFileSync('sh', ['-c', 'command -v softhsm2-util'], { stdio: 'pipe' });
  } catch {
    return 'softhsm2-util is not on PATH (apt-get install softhsm2)';
  }
  return undefined;
}

/**
 * Open a fresh SoftHSM token with one AES-256 key as a key provider. `close()` removes the token.
 * @throws StrongroomError UNSUPPORTED when SoftHSM or pkcs11js is missing.
 */
export async function openSoftHsmProvider(): Promise<OpenedProvider & { readonly library: string }> {
  const reason = softHsmUnavailable();
  if (reason) throw new StrongroomError('UNSUPPORTED', `pkcs11: ${reason}`);
  const library = LIBRARIES.find((p): p is string => !!p && existsSync(p))!;
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-compare-softhsm-'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${dir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  if (!process.env.SOFTHSM2_CONF) process.env.SOFTHSM2_CONF = conf;
  const useConf = process.env.SOFTHSM2_CONF;
  const pin = randomBytes(6).toString('hex');
  const tokenLabel = `compare-${randomBytes(3).toString('hex')}`;
  try {
    execFileSync('softhsm2-util', ['--init-token', '--free', '--label', tokenLabel, '--so-pin', `so-${pin}`, '--pin', pin], { env: { ...process.env, SOFTHSM2_CONF: useConf }, stdio: 'pipe' });
    const raw = await openPkcs11({ library, tokenLabel, pin });
    const c = countingHsmBackend(raw);
    await raw.generateAesKey({ label: 'strongroom-compare', bits: 256, token: true, extractable: false, encrypt: true, decrypt: true, wrap: true, unwrap: true });
    const provider = HsmKeyProvider({ backend: c.backend, keyLabel: 'strongroom-compare' });
    return {
      uri: { kind: 'pkcs11', label: 'strongroom-compare' },
      provider,
      library,
      backendCalls: c.calls,
      async close() {
        await raw.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    if (StrongroomError.isInstance(error)) throw error;
    throw new StrongroomError('UNSUPPORTED', `pkcs11: SoftHSM set-up failed: ${(error as Error).message}`, { cause: error });
  }
}
