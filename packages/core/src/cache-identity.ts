/**
 * Cache identities: what a data-key cache entry is bound to (docs/security.md, "Data-key cache").
 *
 * A key's identity is a keyed fingerprint, HMAC-SHA-256 (RFC 2104) keyed with the key material over
 * a fixed domain label, so it names exactly that key without revealing anything about it; for RSA the
 * public key is not secret and its identity is the SHA-256 of its SubjectPublicKeyInfo DER
 * (RFC 5280 §4.1.2.7). A provider that states no identity gets one random identity per instance.
 */
import { type AsyncCryptoBackend, hmacSha256 } from './async-backend';
import { toHex, utf8 } from './bytes';
import type { KeyProvider } from './key-provider';
import { isThenable } from './message-core';

/** Domain label of the raw-key fingerprint; changing it changes every identity. */
export const KEY_FINGERPRINT_LABEL = 'strongroom data-key cache identity v1';

/** HMAC-SHA-256(key material, label), hex, over the async seam: the same value as the Node entry's `secretKeyFingerprint`. */
export async function secretKeyFingerprintAsync(backend: AsyncCryptoBackend, keyMaterial: Uint8Array): Promise<string> {
  return toHex(await hmacSha256(backend, keyMaterial, utf8(KEY_FINGERPRINT_LABEL)));
}

let instanceCounter = 0;

/** 16 random bytes, hex (Web Crypto's getRandomValues exists in Node ≥ 19, browsers, workers, Deno, Bun). */
function randomId(): string {
  const bytes = new Uint8Array(16);
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint8Array): Uint8Array } }).crypto;
  if (typeof c?.getRandomValues === 'function') c.getRandomValues(bytes);
  // Without a CSPRNG the identity only has to be unique in this process, which the counter gives.
  return `${toHex(bytes)}-${++instanceCounter}`;
}

const instanceIdentities = new WeakMap<object, string>();

/** A random identity, the same for one object for its whole life and never shared with another. */
export function instanceIdentity(owner: object): string {
  let id = instanceIdentities.get(owner);
  if (id === undefined) {
    id = `instance:${randomId()}`;
    instanceIdentities.set(owner, id);
  }
  return id;
}

/** What a list of providers stated last time for one purpose, and the identity built from it. */
export interface StatedIdentity {
  /** providerId, identity, providerId, identity, … as the providers answered. */
  readonly stated: readonly unknown[];
  readonly identity: string;
}

/**
 * The identity of a list of providers for one purpose, or undefined when any of them cannot state
 * it now (then the call bypasses the cache). A provider whose identity lookup fails is not cached
 * either: the operation itself then reports the failure. Synchronous when every provider answers
 * synchronously (the raw-key providers do), so a cache hit needs no promise for it.
 *
 * `memo` (a client's, per purpose): when every provider states exactly what it stated last time, the
 * identity built then is returned instead of being built again; a client asks on every cached call.
 */
export function providersIdentity(
  providers: readonly KeyProvider[],
  purpose: 'encrypt' | 'decrypt',
  memo?: { encrypt?: StatedIdentity; decrypt?: StatedIdentity },
): string | undefined | Promise<string | undefined> {
  const stated: unknown[] = [];
  for (let i = 0; i < providers.length; i++) {
    const provider = providers[i]!;
    let id: unknown;
    try {
      id = typeof provider.cacheIdentity === 'function' ? provider.cacheIdentity(purpose) : instanceIdentity(provider);
    } catch {
      return undefined;
    }
    if (isThenable(id)) {
      const ids = identities(stated);
      return ids && identitiesAsync(providers, purpose, ids, i, id);
    }
    stated.push(provider.providerId, id);
  }
  const last = memo?.[purpose];
  if (last !== undefined && sameList(last.stated, stated)) return last.identity;
  const ids = identities(stated);
  if (!ids) return undefined;
  const identity = JSON.stringify(ids);
  if (memo) memo[purpose] = { stated, identity };
  return identity;
}

/** The identity entries of `stated` (providerId, id pairs), or undefined when an id is not a non-empty string. */
function identities(stated: readonly unknown[]): string[] | undefined {
  const ids: string[] = [];
  for (let i = 0; i < stated.length; i += 2) if (!addIdentity(ids, stated[i], stated[i + 1])) return undefined;
  return ids;
}

function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function addIdentity(ids: string[], providerId: unknown, id: unknown): boolean {
  if (typeof id !== 'string' || id.length === 0) return false;
  ids.push(`${String(providerId)}\u0000${id}`);
  return true;
}

/** The rest of {@link providersIdentity} once provider `from` answered with a promise (each provider is asked once). */
async function identitiesAsync(
  providers: readonly KeyProvider[],
  purpose: 'encrypt' | 'decrypt',
  ids: string[],
  from: number,
  pending: PromiseLike<unknown>,
): Promise<string | undefined> {
  for (let i = from; i < providers.length; i++) {
    const provider = providers[i]!;
    let id: unknown;
    try {
      id = await (i === from ? pending : typeof provider.cacheIdentity === 'function' ? provider.cacheIdentity(purpose) : instanceIdentity(provider));
    } catch {
      return undefined;
    }
    if (!addIdentity(ids, provider.providerId, id)) return undefined;
  }
  return JSON.stringify(ids);
}
