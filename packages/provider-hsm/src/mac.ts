/**
 * HsmMac: HMAC (RFC 2104, FIPS 198-1) with a generic-secret key that stays inside the HSM — for
 * signed tokens, request signing, integrity tags. Verification recomputes the tag in the HSM and
 * compares in constant time.
 */
import { timingSafeEqual } from 'node:crypto';
import { StrongroomError, throwIfAborted } from '@strongroom/core';
import type { HsmBackend, HsmHash } from './backend';
import { createKeyCache } from './key-cache';

/** A hash {@link HsmMac} supports (SHA-2). */
export type HsmMacHash = Exclude<HsmHash, 'sha1'>;
const TAG_BYTES: Record<HsmMacHash, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** Options of {@link HsmMac}: backend, key label, hash. */
export interface HsmMacOptions {
  readonly backend: HsmBackend;
  /** Label of a generic-secret key (`backend.generateGenericSecret`); at least as long as the hash output. */
  readonly keyLabel: string;
  readonly hash: HsmMacHash;
}

/** HMAC with a key that never leaves the HSM. */
export interface HsmMac {
  readonly keyLabel: string;
  readonly hash: HsmMacHash;
  /** Tag length in bytes. */
  readonly tagLength: number;
  /** The HMAC of `data`. */
  mac(data: Uint8Array, options?: { abortSignal?: AbortSignal }): Promise<Uint8Array>;
  /** Constant-time comparison of the full tag; resolves false on mismatch or wrong length. */
  verify(data: Uint8Array, tag: Uint8Array, options?: { abortSignal?: AbortSignal }): Promise<boolean>;
}

/**
 * @example
 * const mac = HsmMac({ backend: hsm, keyLabel: 'session-tokens', hash: 'sha256' });
 * const tag = await mac.mac(payload);
 * @throws StrongroomError `INVALID_ARGUMENT` for a missing backend, label or unsupported hash;
 *   the methods reject with `KEY_UNAVAILABLE` when the key does not exist.
 */
export function HsmMac(options: HsmMacOptions): HsmMac {
  const { backend, keyLabel, hash } = options ?? ({} as HsmMacOptions);
  if (typeof backend?.hmac !== 'function') throw new StrongroomError('INVALID_ARGUMENT', 'backend: expected an HsmBackend');
  if (typeof keyLabel !== 'string' || keyLabel.length === 0) throw new StrongroomError('INVALID_ARGUMENT', 'keyLabel: must be a non-empty string');
  if (!(hash in TAG_BYTES)) throw new StrongroomError('INVALID_ARGUMENT', 'hash: must be sha256, sha384 or sha512');
  const tagLength = TAG_BYTES[hash];

  const key = createKeyCache(backend, { label: keyLabel, class: 'secret' }, () => {});

  async function mac(data: Uint8Array, opts: { abortSignal?: AbortSignal } = {}): Promise<Uint8Array> {
    throwIfAborted(opts.abortSignal);
    const tag = await key.withKey(opts.abortSignal, (k) => backend.hmac(k, hash, data, opts));
    if (tag.length !== tagLength) throw new StrongroomError('PROVIDER_ERROR', `HSM returned a ${tag.length}-byte HMAC`);
    return tag;
  }

  return {
    keyLabel,
    hash,
    tagLength,
    mac,
    async verify(data, tag, opts = {}) {
      if (!(tag instanceof Uint8Array)) throw new TypeError('tag: expected a Uint8Array');
      const expected = await mac(data, opts);
      // Length is public (fixed per hash); only equal-length tags are compared, in constant time.
      return tag.length === expected.length && timingSafeEqual(expected, tag);
    },
  };
}
