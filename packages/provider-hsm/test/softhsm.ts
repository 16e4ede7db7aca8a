/**
 * SoftHSMv2 fixtures for the PKCS#11 tests (docs/hsm-provider.md#softhsmv2-for-development-and-tests).
 *
 * SOFTHSM2_CONF is read once per process at C_Initialize, so each test file (this project runs
 * every file in a fresh process: `isolate: true` in its vitest.config.ts) gets one temporary token
 * directory, set before the first `openPkcs11`, and initializes all the tokens it needs up front.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const LIBRARY_CANDIDATES = [
  process.env.SOFTHSM2_LIB,
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
  '/opt/homebrew/lib/softhsm/libsofthsm2.so',
];

export type SoftHsmAvailability = { ok: true; library: string; util: string } | { ok: false; reason: string };

export function softHsmAvailability(): SoftHsmAvailability {
  const library = LIBRARY_CANDIDATES.find((p): p is string => !!p && existsSync(p));
  if (!library) return { ok: false, reason: 'SoftHSMv2 library (libsofthsm2.so) not found; apt-get install softhsm2 or set SOFTHSM2_LIB' };
  let util: string;
  try {
    util = execFileSync('sh', ['-c', 'command -v softhsm2-util'], { encoding: 'utf8' }).trim();
  } catch {
    return { ok: false, reason: 'softhsm2-util not found on PATH; apt-get install softhsm2' };
  }
  try {
    createRequire(import.meta.url).resolve('pkcs11js');
  } catch {
    return { ok: false, reason: 'the optional dependency pkcs11js is not installed' };
  }
  return { ok: true, library, util };
}

/**
 * Returns the availability, printing why the suite is skipped; throws when
 * STRONGROOM_REQUIRE_ALL_SUITES=1 so that CI fails instead of skipping.
 */
export function requireSoftHsm(suite: string): SoftHsmAvailability {
  const availability = softHsmAvailability();
  if (!availability.ok) {
    if (process.env.STRONGROOM_REQUIRE_ALL_SUITES === '1') {
      throw new Error(`${suite}: ${availability.reason} (STRONGROOM_REQUIRE_ALL_SUITES=1)`);
    }
    console.warn(`[skip] ${suite}: ${availability.reason}`);
  }
  return availability;
}

export interface SoftHsmFixture {
  readonly library: string;
  readonly dir: string;
  /** Initialize a fresh token; call before the first openPkcs11 in this process. */
  initToken(label: string, pin?: string, soPin?: string): { tokenLabel: string; pin: string; soPin: string };
  cleanup(): void;
}

let fixture: SoftHsmFixture | undefined;

/** The per-process token directory (created once, SOFTHSM2_CONF pointed at it). */
export function softHsmFixture(availability: SoftHsmAvailability & { ok: true }): SoftHsmFixture {
  if (fixture) return fixture;
  const dir = mkdtempSync(join(tmpdir(), 'strongroom-softhsm-'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${dir}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  fixture = {
    library: availability.library,
    dir,
    initToken(label, pin = '1234-user', soPin = '5678-so') {
      execFileSync(availability.util, ['--init-token', '--free', '--label', label, '--so-pin', soPin, '--pin', pin], {
        env: { ...process.env, SOFTHSM2_CONF: conf },
        stdio: 'pipe',
      });
      return { tokenLabel: label, pin, soPin };
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}
