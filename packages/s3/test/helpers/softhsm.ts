/**
 * SoftHSMv2 for the s3 tests: one temporary token directory per test file (SOFTHSM2_CONF is read
 * once per process, at C_Initialize: only one file of the s3 project, hsm.test.ts, opens PKCS#11),
 * skipped with a printed reason when SoftHSMv2 or pkcs11js is missing (failing under
 * STRONGROOM_REQUIRE_ALL_SUITES=1).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';

const LIBS = [process.env.SOFTHSM2_LIB, '/usr/lib/softhsm/libsofthsm2.so', '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so'];

export function softHsmUnavailable(): string | undefined {
  if (!LIBS.some((p) => p && existsSync(p))) return 'SoftHSMv2 library not found (apt-get install softhsm2)';
  try {
    execFileSync('sh', ['-c', 'command -v softhsm2-util'], { stdio: 'pipe' });
  } catch {
    return 'softhsm2-util not on PATH';
  }
  try {
    createRequire(import.meta.url).resolve('pkcs11js');
  } catch {
    return 'pkcs11js is not installed';
  }
  return undefined;
}

export function softHsmToken(label: string) {
  const library = LIBS.find((p): p is string => !!p && existsSync(p))!;
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-s3-softhsm-'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${dir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  vi.stubEnv('SOFTHSM2_CONF', conf); // unstubbed by cleanup(): a worker runs further test files
  const pin = '1234-user';
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', '5678-so', '--pin', pin], {
    env: { ...process.env, SOFTHSM2_CONF: conf },
    stdio: 'pipe',
  });
  const cleanup = () => {
    vi.unstubAllEnvs();
    rmSync(dir, { recursive: true, force: true });
  };
  return { library, tokenLabel: label, pin, cleanup };
}
