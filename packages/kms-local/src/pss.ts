/**
 * EMSA-PSS encoding and verification for pre-hashed messages (RFC 8017 §9.1.1, §9.1.2), with
 * MGF1 over the same hash and a salt as long as the digest — what KMS uses for RSASSA_PSS_* with
 * `MessageType: DIGEST`. Node signs PSS only from the message, so the RSA private-key operation is
 * applied to the encoded message with RSA_NO_PADDING.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

function mgf1(hash: string, seed: Uint8Array, length: number): Buffer {
  const out = Buffer.alloc(length);
  const counter = Buffer.alloc(4);
  for (let off = 0, i = 0; off < length; i++) {
    counter.writeUInt32BE(i, 0);
    const block = createHash(hash).update(seed).update(counter).digest();
    off += block.copy(out, off, 0, Math.min(block.length, length - off));
  }
  return out;
}

/** EMSA-PSS-ENCODE(mHash) for a modulus of `modBits` bits; returns the k-byte block to exponentiate. */
export function emsaPssEncode(hash: string, mHash: Uint8Array, modBits: number): Buffer {
  const hLen = mHash.length;
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(hLen);
  const h = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = Buffer.alloc(emLen - hLen - 1);
  db[db.length - hLen - 1] = 0x01;
  salt.copy(db, db.length - hLen);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  const em = Buffer.concat([db, h, Buffer.from([0xbc])]);
  const k = Math.ceil(modBits / 8);
  return em.length === k ? em : Buffer.concat([Buffer.alloc(k - em.length), em]);
}

/** EMSA-PSS-VERIFY: `block` is the k-byte result of the RSA public-key operation. */
export function emsaPssVerify(hash: string, mHash: Uint8Array, block: Uint8Array, modBits: number): boolean {
  const hLen = mHash.length;
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const k = Math.ceil(modBits / 8);
  if (block.length !== k) return false;
  for (let i = 0; i < k - emLen; i++) if (block[i] !== 0) return false;
  const em = Buffer.from(block.subarray(k - emLen));
  if (emLen < 2 * hLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const db = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  if ((db[0]! & ~(0xff >> (8 * emLen - emBits)) & 0xff) !== 0) return false;
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >> (8 * emLen - emBits);
  const psLen = emLen - 2 * hLen - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 0x01) return false;
  const salt = db.subarray(db.length - hLen);
  const h2 = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  return timingSafeEqual(h, h2);
}
