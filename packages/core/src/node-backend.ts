/**
 * node:crypto backend (OpenSSL). The default: AES-GCM here runs at hardware speed.
 */
import * as crypto from 'node:crypto';
import type { CryptoBackend, IncrementalSigner, IncrementalVerifier, SigningKeyPair } from './backend';
import { SMALL_PIECE } from './bytes';
import { malformed, StrongroomError } from './errors';
import type { KdfHash, SignatureCurve } from './suites';

const GCM_ALGORITHM = { 16: 'aes-128-gcm', 24: 'aes-192-gcm', 32: 'aes-256-gcm' } as const;
const HASH_LENGTH: Record<KdfHash, number> = { sha256: 32, sha384: 48, sha512: 64 };
const CURVE = { 'P-256': { name: 'prime256v1', hash: 'sha256' }, 'P-384': { name: 'secp384r1', hash: 'sha384' } } as const;
// DER SubjectPublicKeyInfo prefixes for an uncompressed point (RFC 5480), so a compressed point from
// a message header can become a KeyObject without any bignum code.
const SPKI_PREFIX = {
  'P-256': Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'),
  'P-384': Buffer.from('3076301006072a8648ce3d020106052b81040022036200', 'hex'),
} as const;

function gcmName(key: Uint8Array): crypto.CipherGCMTypes {
  const name = GCM_ALGORITHM[key.length as 16 | 24 | 32];
  if (!name) throw new StrongroomError('INVALID_ARGUMENT', `AES key must be 16, 24 or 32 bytes, got ${key.length}`);
  return name;
}

/** The HKDF-Expand block counter of the first (usually only) block. */
const COUNTER_ONE = Uint8Array.of(1);

/**
 * Small random values (message ids, IVs, data keys) come from a pool filled 8 KiB at a time: one
 * call into OpenSSL's CSPRNG serves hundreds of messages (as node:crypto's randomUUID does). Every
 * byte is handed out once, as a copy the caller owns, and the pool slot is zeroed after use.
 */
const POOL_SIZE = 8192;
// A plain Uint8Array (not a Buffer): its slice() is one copy, without Buffer's subarray wrapper.
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;

function pooledRandomBytes(length: number): Uint8Array {
  if (length > 256) return crypto.randomBytes(length);
  if (poolOffset + length > POOL_SIZE) {
    crypto.randomFillSync(pool);
    poolOffset = 0;
  }
  const end = poolOffset + length;
  const out = pool.slice(poolOffset, end);
  pool.fill(0, poolOffset, end);
  poolOffset = end;
  return out;
}

/**
 * A key pair as the backend represents it, from node:crypto KeyObjects (e.g. generated in a pool
 * worker): the public point compressed (SEC 1 §2.3.3), as `aws-crypto-public-key` carries it.
 */
export function signingKeyPair(privateKey: crypto.KeyObject, publicKey: crypto.KeyObject, curve: SignatureCurve): SigningKeyPair {
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const coordinate = curve === 'P-256' ? 32 : 48;
  const point = spki.subarray(spki.length - (2 * coordinate + 1));
  const compressed = new Uint8Array(coordinate + 1);
  compressed[0] = 2 + (point[point.length - 1]! & 1);
  compressed.set(point.subarray(1, 1 + coordinate), 1);
  return { publicKey: compressed, privateKey, curve };
}

/** The crypto backend on node:crypto (OpenSSL): the default and the fastest. */
export const nodeBackend: CryptoBackend = {
  name: 'node',
  randomBytes: pooledRandomBytes,
  // A slice of Node's shared pool (8 KiB slabs) for bytes the caller fills completely and that are
  // never secret (frames' AADs, the header body), see CryptoBackend.transientBytes. Only for pieces a
  // stream copies into a chunk of its own (below SMALL_PIECE, bytes.ts coalesce), so a slice of the
  // pool never reaches the user even where Buffer.poolSize was raised.
  transientBytes: (length) => (length < SMALL_PIECE ? Buffer.allocUnsafe(length) : new Uint8Array(length)),

  // HKDF from HMACs rather than crypto.hkdfSync: the KeyObject set-up of hkdfSync costs more than
  // the hashing for our 32-byte outputs (measured ~5x slower per call).
  hkdf(hash, ikm, salt, info, length) {
    const prk = nodeBackend.hkdfExtract(hash, ikm, salt);
    try {
      return nodeBackend.hkdfExpand(hash, prk, info, length);
    } finally {
      prk.fill(0);
    }
  },

  hkdfExtract(hash, ikm, salt) {
    return crypto
      .createHmac(hash, salt && salt.length > 0 ? salt : new Uint8Array(HASH_LENGTH[hash]))
      .update(ikm)
      .digest();
  },

  hkdfExpand(hash, prk, info, length) {
    const hashLength = HASH_LENGTH[hash];
    if (length > 255 * hashLength) throw new StrongroomError('INVALID_ARGUMENT', `HKDF output of ${length} bytes exceeds 255 × HashLen`);
    if (length <= hashLength) {
      // One block, T(1) = HMAC(PRK, info ‖ 0x01), which every key and commitment of the message
      // format is: no copy; the unused tail of the block is wiped before the view is returned.
      const block = crypto.createHmac(hash, prk).update(info).update(COUNTER_ONE).digest();
      if (length === hashLength) return block;
      block.fill(0, length);
      return new Uint8Array(block.buffer, block.byteOffset, length);
    }
    const out = Buffer.allocUnsafe(length);
    let previous: Buffer | undefined;
    for (let offset = 0, counter = 1; offset < length; counter++) {
      const h = crypto.createHmac(hash, prk);
      if (previous) h.update(previous);
      const next: Buffer = h.update(info).update(Uint8Array.of(counter)).digest();
      previous?.fill(0);
      previous = next;
      out.set(next.subarray(0, Math.min(hashLength, length - offset)), offset);
      offset += hashLength;
    }
    previous?.fill(0);
    return out;
  },

  gcmEncrypt(key, iv, aad, plaintext) {
    // GCM's tag is 16 bytes unless authTagLength says otherwise (passing the option costs ~5 % of a small message).
    const cipher = crypto.createCipheriv(gcmName(key), key, iv);
    cipher.setAAD(aad);
    const ciphertext: Uint8Array[] = [];
    for (const p of plaintext) if (p.length > 0) ciphertext.push(cipher.update(p));
    cipher.final();
    return { ciphertext, tag: cipher.getAuthTag() };
  },

  gcmDecrypt(key, iv, aad, ciphertext, tag) {
    const decipher = crypto.createDecipheriv(gcmName(key), key, iv, { authTagLength: 16 });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const out: Uint8Array[] = [];
    for (const c of ciphertext) if (c.length > 0) out.push(decipher.update(c));
    try {
      decipher.final();
    } catch {
      for (const o of out) o.fill(0);
      throw new StrongroomError('AUTHENTICATION_FAILED', 'AES-GCM authentication failed: the data was tampered with or the key is wrong');
    }
    return out;
  },

  generateSigningKey(curve): SigningKeyPair {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: CURVE[curve].name });
    return signingKeyPair(privateKey, publicKey, curve);
  },

  createSigner(key): IncrementalSigner {
    const signer = crypto.createSign(CURVE[key.curve].hash);
    return {
      update: (data) => void signer.update(data),
      sign: () => signer.sign(key.privateKey as crypto.KeyObject),
    };
  },

  createVerifier(curve: SignatureCurve, compressedPublicKey): IncrementalVerifier {
    let publicKey: crypto.KeyObject;
    try {
      const point = crypto.ECDH.convertKey(compressedPublicKey, CURVE[curve].name, undefined, undefined, 'uncompressed') as Buffer;
      publicKey = crypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX[curve], point]), format: 'der', type: 'spki' });
    } catch {
      throw malformed(`The message's signing public key is not a valid ${curve} point`);
    }
    const verifier = crypto.createVerify(CURVE[curve].hash);
    return {
      update: (data) => void verifier.update(data),
      verify: (signature) => {
        try {
          return verifier.verify(publicKey, signature);
        } catch {
          return false;
        }
      },
    };
  },

  timingSafeEqual: (a, b) => a.length === b.length && crypto.timingSafeEqual(a, b),
};
