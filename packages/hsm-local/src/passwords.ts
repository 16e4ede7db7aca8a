/**
 * Password hashing for HSM users: scrypt (RFC 7914) with a per-user 16-byte salt, compared in
 * constant time. Parameters are stored with each hash so they can be raised later.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { PasswordHash } from './state';

const N = 1 << 14;
const R = 8;
const P = 1;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, 32, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16);
  return { salt, n: N, r: R, p: P, hash: await derive(password, salt, N, R, P) };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const got = await derive(password, stored.salt, stored.n, stored.r, stored.p);
  const ok = got.length === stored.hash.length && timingSafeEqual(got, stored.hash);
  got.fill(0);
  return ok;
}

/** CloudHSM rules (https://docs.aws.amazon.com/cloudhsm/latest/userguide/limits.html): usernames ≤ 31 characters, passwords 8–32 characters. */
export function checkUserName(name: unknown): string | undefined {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,31}$/.test(name)) return 'user names are 1–31 characters of [A-Za-z0-9_-]';
  return undefined;
}

export function checkPassword(password: unknown): string | undefined {
  if (typeof password !== 'string' || password.length < 8 || password.length > 32) return 'passwords must be 8–32 characters';
  return undefined;
}
