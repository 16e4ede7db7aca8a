/**
 * ECDSA signature encodings. PKCS#11 CKM_ECDSA returns r ‖ s, each the size of the curve order
 * (PKCS#11 v2.40 current mechanisms §2.3.1); X.509/JOSE-DER consumers and node:crypto expect the
 * DER form `SEQUENCE { INTEGER r, INTEGER s }` (SEC 1 v2 §C.8, RFC 3279 §2.2.3).
 */
import { StrongroomError } from '@strongroom/core';

function derInteger(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const trimmed = bytes.subarray(start);
  const pad = (trimmed[0]! & 0x80) !== 0 ? 1 : 0;
  const out = new Uint8Array(2 + pad + trimmed.length);
  out[0] = 0x02;
  out[1] = pad + trimmed.length;
  out.set(trimmed, 2 + pad);
  return out;
}

/** r ‖ s (equal halves) → DER. Curves up to P-521 (66-byte halves). */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0 || raw.length > 132) {
    throw new StrongroomError('MALFORMED', `ECDSA raw signature: bad length ${raw.length}`);
  }
  const half = raw.length / 2;
  const r = derInteger(raw.subarray(0, half));
  const s = derInteger(raw.subarray(half));
  const body = r.length + s.length;
  const long = body >= 0x80;
  const out = new Uint8Array((long ? 3 : 2) + body);
  out[0] = 0x30;
  if (long) {
    out[1] = 0x81;
    out[2] = body;
  } else {
    out[1] = body;
  }
  out.set(r, long ? 3 : 2);
  out.set(s, (long ? 3 : 2) + r.length);
  return out;
}

/**
 * DER → r ‖ s with halves of `size` bytes. Strict: minimal lengths and integers, positive values,
 * no trailing bytes. Returns undefined for anything else (a verifier treats it as a bad signature).
 */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array | undefined {
  let pos = 0;
  const byte = () => (pos < der.length ? der[pos++]! : -1);
  const readLength = (): number => {
    const first = byte();
    if (first < 0) return -1;
    if (first < 0x80) return first;
    if (first !== 0x81) return -1;
    const len = byte();
    return len >= 0x80 ? len : -1; // 0x81 only for lengths ≥ 128 (DER minimal form)
  };
  if (byte() !== 0x30) return undefined;
  const seqLen = readLength();
  if (seqLen < 0 || pos + seqLen !== der.length) return undefined;
  const out = new Uint8Array(2 * size);
  for (let i = 0; i < 2; i++) {
    if (byte() !== 0x02) return undefined;
    const len = readLength();
    if (len <= 0 || pos + len > der.length) return undefined;
    let value = der.subarray(pos, pos + len);
    pos += len;
    if ((value[0]! & 0x80) !== 0) return undefined; // negative
    if (value.length > 1 && value[0] === 0 && (value[1]! & 0x80) === 0) return undefined; // non-minimal
    if (value[0] === 0 && value.length > 1) value = value.subarray(1);
    if (value.length > size) return undefined;
    out.set(value, i * size + (size - value.length));
  }
  return pos === der.length ? out : undefined;
}
