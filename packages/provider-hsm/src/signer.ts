/**
 * HsmSigner: sign and verify with an asymmetric key that stays inside the HSM (code signing,
 * tokens). ECDSA signatures are DER (RFC 3279 §2.2.3), RSA signatures are PKCS#1 v1.5 or PSS with
 * salt length = hash length (RFC 8017 §8). `publicKey()` gives the DER SubjectPublicKeyInfo so
 * verifiers without HSM access can check signatures with any standard library.
 */
import { StrongroomError, throwIfAborted } from '@strongroom/core';
import type { HsmBackend, HsmKeyRef, HsmSignMechanism } from './backend';
import { createKeyCache } from './key-cache';

/** Options of {@link HsmSigner}: backend, key label, mechanism. */
export interface HsmSignerOptions {
  readonly backend: HsmBackend;
  /** Label of the key pair (both halves carry it). */
  readonly keyLabel: string;
  readonly mechanism: HsmSignMechanism;
}

/** Signatures with a private key that never leaves the HSM. */
export interface HsmSigner {
  readonly keyLabel: string;
  readonly mechanism: HsmSignMechanism;
  /** The signature of `data`. */
  sign(data: Uint8Array, options?: { abortSignal?: AbortSignal }): Promise<Uint8Array>;
  /** Resolves false for a signature that does not verify (never rejects for a bad signature). */
  verify(data: Uint8Array, signature: Uint8Array, options?: { abortSignal?: AbortSignal }): Promise<boolean>;
  /** DER SubjectPublicKeyInfo of the key pair. */
  publicKey(options?: { abortSignal?: AbortSignal }): Promise<Uint8Array>;
}

/**
 * @example
 * const signer = HsmSigner({ backend: hsm, keyLabel: 'release-signing', mechanism: { type: 'ecdsa', hash: 'sha256' } });
 * const signature = await signer.sign(artifactBytes);
 * @throws StrongroomError `INVALID_ARGUMENT` for a missing backend, label or unknown mechanism;
 *   the methods reject with `KEY_UNAVAILABLE` when the key pair does not exist.
 */
export function HsmSigner(options: HsmSignerOptions): HsmSigner {
  const { backend, keyLabel, mechanism } = options ?? ({} as HsmSignerOptions);
  if (typeof backend?.sign !== 'function') throw new StrongroomError('INVALID_ARGUMENT', 'backend: expected an HsmBackend');
  if (typeof keyLabel !== 'string' || keyLabel.length === 0) throw new StrongroomError('INVALID_ARGUMENT', 'keyLabel: must be a non-empty string');
  if (!['ecdsa', 'rsa-pss', 'rsa-pkcs1'].includes(mechanism?.type) || !['sha256', 'sha384', 'sha512'].includes(mechanism.hash)) {
    throw new StrongroomError('INVALID_ARGUMENT', 'mechanism: expected { type: ecdsa | rsa-pss | rsa-pkcs1, hash: sha256 | sha384 | sha512 }');
  }
  const expectedType = mechanism.type === 'ecdsa' ? 'ec' : 'rsa';

  const checkType = (key: HsmKeyRef) => {
    if (key.type !== expectedType) throw new StrongroomError('KEY_UNAVAILABLE', `HSM key ${JSON.stringify(keyLabel)} is not an ${expectedType.toUpperCase()} key`);
  };
  const privateKey = createKeyCache(backend, { label: keyLabel, class: 'private' }, checkType);
  const publicKey = createKeyCache(backend, { label: keyLabel, class: 'public' }, checkType);

  return {
    keyLabel,
    mechanism,
    async sign(data, opts = {}) {
      throwIfAborted(opts.abortSignal);
      return privateKey.withKey(opts.abortSignal, (key) => backend.sign(key, mechanism, data, opts));
    },
    async verify(data, signature, opts = {}) {
      throwIfAborted(opts.abortSignal);
      return publicKey.withKey(opts.abortSignal, (key) => backend.verify(key, mechanism, data, signature, opts));
    },
    async publicKey(opts = {}) {
      throwIfAborted(opts.abortSignal);
      if (!backend.exportPublicKey) throw new StrongroomError('UNSUPPORTED', `HSM backend ${backend.kind} cannot export public keys`);
      const exportPublicKey = backend.exportPublicKey.bind(backend);
      return publicKey.withKey(opts.abortSignal, (key) => exportPublicKey(key, opts));
    },
  };
}
