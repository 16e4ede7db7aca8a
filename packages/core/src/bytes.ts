/**
 * Byte helpers for the wire formats: big-endian integers, strict UTF-8, and a bounds-checked reader.
 * spec: aws-encryption-sdk-specification data-format/message.md ("all integers are big-endian").
 */
import { malformed, StrongroomError } from './errors';

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strings up to this many characters that are all ASCII are encoded by {@link utf8} without TextEncoder. */
const SHORT_ASCII = 64;

/**
 * UTF-8 bytes of a string. Short ASCII strings (context keys and values, provider ids, key names: most
 * of what is encoded per call) are copied by a loop: `TextEncoder.encode` costs ≈ 0.8 µs per call in
 * Node 20 whatever the length, the loop ≈ 0.05 µs for 8 characters. The bytes are the same: ASCII is
 * its own UTF-8, and any other character sends the whole string to TextEncoder.
 */
export function utf8(text: string): Uint8Array {
  const n = text.length;
  if (n > SHORT_ASCII) return encoder.encode(text);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return encoder.encode(text);
    out[i] = c;
  }
  return out;
}

/** Decode UTF-8, rejecting invalid sequences (a forged header must not decode "loosely"). */
export function fromUtf8(bytes: Uint8Array, what: string): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw malformed(`${what} is not valid UTF-8`);
  }
}

/**
 * A real copy as a plain Uint8Array. (Node's Buffer#slice returns a *view*, so `buf.slice()` is not a
 * copy when buf is a Buffer — wiping that "copy" would wipe the original.)
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

export function concatBytes(parts: readonly Uint8Array[], total?: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let length = total ?? 0;
  if (total === undefined) for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** RFC 4648 §4 base64 with padding (the runtime's `btoa`: no Buffer, the same code in every runtime). */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * Strict RFC 4648 §4 base64: padded, canonical, nothing outside the alphabet (RFC 4648 §3.3: reject
 * non-alphabet characters). A forged header's public key must not decode "loosely". `atob` alone
 * would (it skips white space and accepts a missing pad), so what it decodes is encoded again and must
 * give back exactly `text`: one string per byte string, with zero pad bits. Throws MALFORMED.
 */
export function fromBase64(text: string, what: string): Uint8Array {
  let out: Uint8Array | undefined;
  try {
    out = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    // atob's own refusal: a character outside the alphabet, or a length of 4n + 1.
  }
  if (!out || toBase64(out) !== text) throw malformed(`${what} is not canonical base64`);
  return out;
}

/** Lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += (b < 16 ? '0' : '') + b.toString(16);
  return out;
}

/** Output pieces below this many bytes are joined into a buffer of their own by {@link coalesce}. */
export const SMALL_PIECE = 4096;

/**
 * Hand output pieces on without copying large buffers (frame ciphertext/plaintext go as produced);
 * only runs of small pieces (frame prefixes, tags) are joined, so downstream sees few tiny writes.
 */
export function coalesce(pieces: readonly Uint8Array[], emit: (piece: Uint8Array) => void): void {
  let small: Uint8Array[] = [];
  let smallLength = 0;
  const flush = () => {
    if (small.length > 0) emit(concatBytes(small, smallLength));
    small = [];
    smallLength = 0;
  };
  for (const piece of pieces) {
    if (piece.length >= SMALL_PIECE) {
      flush();
      emit(piece);
    } else if (piece.length > 0) {
      small.push(piece);
      smallLength += piece.length;
    }
  }
  flush();
}

/** Compare two byte strings; never use for secrets (see backend.timingSafeEqual). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Check a caller-supplied byte argument, naming it in the error (after noble-ciphers' `abytes`). */
export function abytes(value: unknown, name: string, ...lengths: number[]): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new StrongroomError('INVALID_ARGUMENT', `${name}: expected a Uint8Array, got ${describe(value)}`);
  }
  if (lengths.length > 0 && !lengths.includes(value.length)) {
    throw new StrongroomError('INVALID_ARGUMENT', `${name}: expected ${lengths.join(' or ')} bytes, got ${value.length}`);
  }
  return value;
}

/**
 * A stream chunk as bytes: a Uint8Array as it is, a string as its UTF-8. Anything else is
 * INVALID_ARGUMENT, the message starting with `what` (e.g. `input: stream chunks`).
 */
export function chunkBytes(value: unknown, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return utf8(value);
  throw new StrongroomError('INVALID_ARGUMENT', `${what} must be Uint8Array or string, got ${describe(value)}`);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? `an object (${(value as object).constructor?.name ?? 'Object'})` : typeof value;
}

/** Write a big-endian u16 at `at` (no DataView: that would move a small on-heap array's buffer off the heap); returns the next offset. */
export function putU16(out: Uint8Array, at: number, v: number): number {
  out[at] = v >>> 8;
  out[at + 1] = v;
  return at + 2;
}

/** Write a big-endian u32 at `at` (see putU16); returns the next offset. */
export function putU32(out: Uint8Array, at: number, v: number): number {
  out[at] = v >>> 24;
  out[at + 1] = v >>> 16;
  out[at + 2] = v >>> 8;
  out[at + 3] = v;
  return at + 4;
}

/**
 * What a ByteReader throws when it runs out of bytes (its `needed` says how many the read wanted): the
 * caller may wait for more input. One shared instance, compared by identity.
 */
export const NEED_MORE = new Error('need more input');

/**
 * A bounds-checked big-endian reader over one contiguous buffer. Running past the end throws
 * `NEED_MORE` (a streaming decoder then waits for more bytes; a one-shot decoder reports truncation).
 */
export class ByteReader {
  offset = 0;
  /** When a read ran past the end: the total length that read needed. */
  needed = 0;
  constructor(readonly bytes: Uint8Array) {}
  get remaining(): number {
    return this.bytes.length - this.offset;
  }
  /** A view (no copy) of the next n bytes. */
  view_(n: number): Uint8Array {
    const at = this.offset;
    if (at + n > this.bytes.length) {
      this.needed = at + n;
      throw NEED_MORE;
    }
    this.offset += n;
    return this.bytes.subarray(at, at + n);
  }
  /** The next `n` (1, 2 or 4) bytes as a big-endian unsigned integer. */
  uint(n: 1 | 2 | 4): number {
    let v = 0;
    for (const b of this.view_(n)) v = v * 256 + b;
    return v;
  }
  lengthPrefixed(): Uint8Array {
    return this.view_(this.uint(2));
  }
}
