// `openssl speed` single-core reference rates (the C ceiling a JavaScript path is compared against).
// Both return undefined when openssl is missing or its output is not understood.
import { execFileSync } from 'node:child_process';

function speed(args) {
  try {
    return execFileSync('openssl', ['speed', '-elapsed', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

/**
 * AES-256-GCM MiB/s at 16 KiB blocks (`openssl speed -evp aes-256-gcm -bytes 16384`) on one core, or,
 * with `processes` > 1, the sum over that many concurrent processes (`-multi`).
 */
export function opensslGcmRate(seconds = 1, processes = 1) {
  const multi = processes > 1 ? ['-multi', String(processes)] : [];
  const out = speed([...multi, '-seconds', String(seconds), '-bytes', '16384', '-evp', 'aes-256-gcm']);
  const line = out?.split('\n').find((l) => /^aes-256-gcm/i.test(l));
  const value = line ? Number.parseFloat(line.trim().split(/\s+/).at(-1)) : Number.NaN;
  return Number.isFinite(value) ? (value * 1000) / 2 ** 20 : undefined; // '…k' = 1000 bytes/s
}

/** ECDSA P-384 signatures per second on one core (`openssl speed ecdsap384`, the sign/s column). */
export function opensslP384SignRate(seconds = 1) {
  const out = speed(['-seconds', String(seconds), 'ecdsap384']);
  const line = out?.split('\n').find((l) => /ecdsa \(nistp384\)/.test(l));
  const cols = line?.trim().split(/\s+/) ?? [];
  const value = Number.parseFloat(cols.at(-2) ?? '');
  return Number.isFinite(value) ? value : undefined;
}
