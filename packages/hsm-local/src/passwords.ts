/**
 * Password hashing for HSM users: scrypt (RFC 7914) with a per-user 16-byte salt, compared in
 * constant time. Each hash carries its own parameters, so a cluster's cost can change (new and
 * changed passwords take the new cost; every stored hash still verifies with its own).
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { PasswordHash } from './state';

/**
 * The scrypt cost of new password hashes, as log2 N (r = 8, p = 1): 14 = 16 MiB and ≈ 60 ms of one
 * core per hash, paid on every login on every node. A cluster sets it at init (`passwordHashCost`).
 */
export const DEFAULT_PASSWORD_HASH_COST = 14;
/**
 * The costs a cluster may choose. 10 (1 MiB, ≈ 3 ms) suits development clusters whose passwords sit
 * in a file beside them; 17 (128 MiB, ≈ 0.8 s) is OWASP's minimum for scrypt password storage
 * (https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#scrypt).
 */
export const PASSWORD_HASH_COST_RANGE = { min: 10, max: 17 } as const;
const R = 8;
const P = 1;

/** Why `cost` is not a usable password hash cost, or undefined when it is. */
export function checkPasswordHashCost(cost: unknown): string | undefined {
  const { min, max } = PASSWORD_HASH_COST_RANGE;
  if (typeof cost !== 'number' || !Number.isInteger(cost) || cost < min || cost > max) {
    return `passwordHashCost must be an integer from ${min} to ${max} (log2 of scrypt's N; default ${DEFAULT_PASSWORD_HASH_COST})`;
  }
  return undefined;
}

/** Parameters a stored hash may carry: what some cluster cost produced, nothing larger (a login must not cost unbounded memory). */
function usableParams(stored: PasswordHash): boolean {
  const cost = Math.log2(stored.n);
  return checkPasswordHashCost(cost) === undefined && stored.r === R && stored.p === P && stored.salt.length === 16 && stored.hash.length === 32;
}

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, 32, { N: n, r, p, maxmem: 2 * 128 * r * n }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** A new hash of `password` at `cost` (the cluster's `passwordHashCost`: no default, so no caller can forget it). */
export async function hashPassword(password: string, cost: number): Promise<PasswordHash> {
  const problem = checkPasswordHashCost(cost);
  if (problem) throw new RangeError(problem);
  const salt = randomBytes(16);
  const n = 2 ** cost;
  return { salt, n, r: R, p: P, hash: await derive(password, salt, n, R, P) };
}

/** True when `password` matches `stored`; false also when the stored parameters are outside what any cluster cost produces. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  if (!usableParams(stored)) return false;
  const got = await derive(password, stored.salt, stored.n, stored.r, stored.p);
  const ok = timingSafeEqual(got, stored.hash);
  got.fill(0);
  return ok;
}

/** The work of one verification at `cost`, for an unknown user name: answers take as long as for a known one. */
export async function verifyNothing(password: string, cost: number): Promise<void> {
  await verifyPassword(password, { salt: Buffer.alloc(16), n: 2 ** cost, r: R, p: P, hash: Buffer.alloc(32) });
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
