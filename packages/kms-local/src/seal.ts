/**
 * Sealing of key material at rest: AES-256-GCM under the server master key (`master.key` in the
 * data directory, 32 random bytes, mode 0600), with AAD naming what is sealed, so a sealed blob
 * cannot be swapped onto another key or purpose. Layout: base64(iv(12) ‖ ciphertext ‖ tag(16)).
 */
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import { KmsError } from './errors';

/** Seals secrets at rest under the server's master key, bound to a label. */
export interface Sealer {
  /** Seal `plaintext` under the master key, bound to `label`; returns a JSON-safe string. */
  seal(plaintext: Uint8Array, label: string): string;
  /** @throws KmsError KMSInternalException when the sealed value does not authenticate. */
  unseal(sealed: string, label: string): Buffer;
}

export function createSealer(masterKey: KeyObject): Sealer {
  return {
    seal(plaintext, label) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', masterKey, iv);
      c.setAAD(Buffer.from(label, 'utf8'));
      const ct = Buffer.concat([c.update(plaintext), c.final()]);
      return Buffer.concat([iv, ct, c.getAuthTag()]).toString('base64');
    },
    unseal(sealed, label) {
      const raw = Buffer.from(sealed, 'base64');
      if (raw.length < 28) throw new KmsError('KMSInternalException', 'Sealed key material is corrupt.');
      try {
        const d = createDecipheriv('aes-256-gcm', masterKey, raw.subarray(0, 12));
        d.setAAD(Buffer.from(label, 'utf8'));
        d.setAuthTag(raw.subarray(raw.length - 16));
        return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]);
      } catch {
        throw new KmsError('KMSInternalException', 'Sealed key material failed authentication.');
      }
    },
  };
}
