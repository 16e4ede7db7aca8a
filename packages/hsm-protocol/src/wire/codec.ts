/**
 * hsm-local wire codec (docs/hsm-cluster.md#14-wire-protocol-and-performance).
 *
 * One frame per request or response, pipelined and multiplexed on one TLS connection:
 *
 *   u32 length (of everything after it) | u8 version (=1) | u8 kind | u32 request id | value
 *
 * `kind` is 1 = request, 2 = response (ok), 3 = response (error). The value is a small tagged binary
 * encoding (a strict subset of what CBOR does): binary fields stay bytes (no base64), and every
 * length is checked against a hard cap *before* anything is allocated, because this parser faces
 * the network (as RFC 8949 §10 advises for CBOR decoders). Decoding never trusts a declared length beyond the bytes present.
 */
import { StrongroomError } from '@strongroom/core';

/** Version byte of every frame; a frame of another version is refused. */
export const WIRE_VERSION = 1;
/** Hard cap on one frame (a page of masked objects during sync is the largest thing sent). */
export const MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** Hard caps inside a value. */
export const MAX_DEPTH = 16;
/** Most items in one array or map. */
export const MAX_CONTAINER_ITEMS = 65_536;
/** Longest string or byte string. */
export const MAX_STRING_BYTES = 1024 * 1024;

/** Frame kind: a request (client to node). */
export const FRAME_REQUEST = 1;
/** Frame kind: a successful response. */
export const FRAME_RESPONSE = 2;
/** Frame kind: an error response (`{ code, message, reason }`). */
export const FRAME_ERROR = 3;
/** One of the frame kinds. */
export type FrameKind = typeof FRAME_REQUEST | typeof FRAME_RESPONSE | typeof FRAME_ERROR;

/** Values the codec carries. Numbers are IEEE-754 doubles (integers are exact below 2^53). */
export type WireValue = null | boolean | number | string | Uint8Array | WireValue[] | { [key: string]: WireValue | undefined };

const T_NULL = 0;
const T_FALSE = 1;
const T_TRUE = 2;
const T_NUMBER = 3;
const T_STRING = 4;
const T_BYTES = 5;
const T_ARRAY = 6;
const T_MAP = 7;

const HEADER_BYTES = 4 + 1 + 1 + 4;

function malformedWire(message: string): StrongroomError {
  return new StrongroomError('MALFORMED', `hsm wire: ${message}`);
}

/* ---------------------------------------------------------------- encode */

function sizeOf(v: WireValue | undefined, depth: number): number {
  if (depth > MAX_DEPTH) throw malformedWire('value nested too deeply');
  if (v === null || v === undefined || typeof v === 'boolean') return 1;
  if (typeof v === 'number') {
    // The decoder refuses NaN, so never send it: fail the one call locally instead.
    if (Number.isNaN(v)) throw new StrongroomError('INVALID_ARGUMENT', 'hsm wire: NaN cannot be sent');
    return 9;
  }
  if (typeof v === 'string') return 5 + Buffer.byteLength(v, 'utf8');
  if (v instanceof Uint8Array) return 5 + v.length;
  if (Array.isArray(v)) {
    let n = 5;
    for (const item of v) n += sizeOf(item, depth + 1);
    return n;
  }
  if (typeof v === 'object') {
    let n = 5;
    for (const [k, item] of Object.entries(v)) {
      if (item === undefined) continue;
      n += 4 + Buffer.byteLength(k, 'utf8') + sizeOf(item, depth + 1);
    }
    return n;
  }
  throw malformedWire(`cannot encode a ${typeof v}`);
}

function writeValue(buf: Buffer, off: number, v: WireValue | undefined): number {
  if (v === null || v === undefined) {
    buf[off] = T_NULL;
    return off + 1;
  }
  if (v === false || v === true) {
    buf[off] = v ? T_TRUE : T_FALSE;
    return off + 1;
  }
  if (typeof v === 'number') {
    buf[off] = T_NUMBER;
    buf.writeDoubleBE(v, off + 1);
    return off + 9;
  }
  if (typeof v === 'string') {
    buf[off] = T_STRING;
    const n = buf.write(v, off + 5, 'utf8');
    buf.writeUInt32BE(n, off + 1);
    return off + 5 + n;
  }
  if (v instanceof Uint8Array) {
    buf[off] = T_BYTES;
    buf.writeUInt32BE(v.length, off + 1);
    buf.set(v, off + 5);
    return off + 5 + v.length;
  }
  if (Array.isArray(v)) {
    buf[off] = T_ARRAY;
    buf.writeUInt32BE(v.length, off + 1);
    let o = off + 5;
    for (const item of v) o = writeValue(buf, o, item);
    return o;
  }
  buf[off] = T_MAP;
  const countAt = off + 1;
  let o = off + 5;
  let count = 0;
  for (const [k, item] of Object.entries(v)) {
    if (item === undefined) continue;
    const n = buf.write(k, o + 4, 'utf8');
    buf.writeUInt32BE(n, o);
    o = writeValue(buf, o + 4 + n, item);
    count++;
  }
  buf.writeUInt32BE(count, countAt);
  return o;
}

/**
 * Encode one frame.
 * @throws StrongroomError MALFORMED if the value is not encodable or the frame exceeds MAX_FRAME_BYTES.
 */
export function encodeFrame(kind: FrameKind, id: number, value: WireValue): Buffer {
  const body = sizeOf(value, 0);
  const total = HEADER_BYTES + body;
  if (total - 4 > MAX_FRAME_BYTES) throw new StrongroomError('LIMIT_EXCEEDED', `hsm wire: frame of ${total} bytes exceeds ${MAX_FRAME_BYTES}`);
  const buf = Buffer.allocUnsafe(total);
  buf.writeUInt32BE(total - 4, 0);
  buf[4] = WIRE_VERSION;
  buf[5] = kind;
  buf.writeUInt32BE(id >>> 0, 6);
  const end = writeValue(buf, HEADER_BYTES, value);
  if (end !== total) throw new StrongroomError('INTERNAL', 'hsm wire: size mismatch while encoding');
  return buf;
}

/* ---------------------------------------------------------------- decode */

interface Cursor {
  buf: Uint8Array;
  view: DataView;
  off: number;
  end: number;
}

function need(c: Cursor, n: number): void {
  if (n < 0 || c.off + n > c.end) throw malformedWire('truncated value');
}

function readLen(c: Cursor, cap: number, what: string): number {
  need(c, 4);
  const n = c.view.getUint32(c.off);
  c.off += 4;
  if (n > cap) throw malformedWire(`${what} length ${n} exceeds cap ${cap}`);
  return n;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function readString(c: Cursor): string {
  const n = readLen(c, MAX_STRING_BYTES, 'string');
  need(c, n);
  let s: string;
  try {
    s = utf8.decode(c.buf.subarray(c.off, c.off + n));
  } catch {
    throw malformedWire('invalid UTF-8');
  }
  c.off += n;
  return s;
}

function readValue(c: Cursor, depth: number): WireValue {
  if (depth > MAX_DEPTH) throw malformedWire('value nested too deeply');
  need(c, 1);
  const tag = c.buf[c.off++];
  switch (tag) {
    case T_NULL:
      return null;
    case T_FALSE:
      return false;
    case T_TRUE:
      return true;
    case T_NUMBER: {
      need(c, 8);
      const n = c.view.getFloat64(c.off);
      c.off += 8;
      if (Number.isNaN(n)) throw malformedWire('NaN is not allowed');
      return n;
    }
    case T_STRING:
      return readString(c);
    case T_BYTES: {
      const n = readLen(c, MAX_FRAME_BYTES, 'bytes');
      need(c, n);
      // Copy: the frame buffer is reused by the reader and must not be aliased by results.
      const out = Buffer.from(c.buf.subarray(c.off, c.off + n));
      c.off += n;
      return out;
    }
    case T_ARRAY: {
      const n = readLen(c, MAX_CONTAINER_ITEMS, 'array');
      // Every item takes at least one byte: refuse counts the remaining bytes cannot hold.
      need(c, n);
      const out: WireValue[] = [];
      for (let i = 0; i < n; i++) out.push(readValue(c, depth + 1));
      return out;
    }
    case T_MAP: {
      const n = readLen(c, MAX_CONTAINER_ITEMS, 'map');
      need(c, n * 5);
      const out: { [key: string]: WireValue } = Object.create(null);
      for (let i = 0; i < n; i++) {
        const k = readString(c);
        if (k === '__proto__' || Object.prototype.hasOwnProperty.call(out, k)) throw malformedWire(`bad or duplicate map key ${JSON.stringify(k.slice(0, 40))}`);
        out[k] = readValue(c, depth + 1);
      }
      return out;
    }
    default:
      throw malformedWire(`unknown value tag ${tag}`);
  }
}

/** A decoded frame: kind, request id, value. */
export interface Frame {
  kind: FrameKind;
  id: number;
  value: WireValue;
}

/**
 * Decode one frame body (the bytes after the u32 length prefix).
 * @throws StrongroomError MALFORMED on any violation (version, kind, truncation, trailing bytes, caps).
 */
export function decodeFrameBody(body: Uint8Array): Frame {
  if (body.length < HEADER_BYTES - 4) throw malformedWire('frame too short');
  if (body[0] !== WIRE_VERSION) throw malformedWire(`unsupported version ${body[0]}`);
  const kind = body[1];
  if (kind !== FRAME_REQUEST && kind !== FRAME_RESPONSE && kind !== FRAME_ERROR) throw malformedWire(`unknown frame kind ${kind}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const id = view.getUint32(2);
  const c: Cursor = { buf: body, view, off: 6, end: body.length };
  const value = readValue(c, 0);
  if (c.off !== c.end) throw malformedWire('trailing bytes after value');
  return { kind, id, value };
}

/**
 * Incremental frame reader for a byte stream. Checks the declared length against MAX_FRAME_BYTES
 * before buffering the body, so a hostile peer cannot make us allocate more than the cap.
 */
/** The request id of a frame body whose header (version, kind, id) is valid, else undefined. */
function frameIdOf(body: Uint8Array): number | undefined {
  if (body.length < HEADER_BYTES - 4 || body[0] !== WIRE_VERSION) return undefined;
  const kind = body[1];
  if (kind !== FRAME_REQUEST && kind !== FRAME_RESPONSE && kind !== FRAME_ERROR) return undefined;
  return new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(2);
}

/**
 * A push parser of length-prefixed frames: feed it bytes as they arrive, it calls `onFrame` for each
 * complete, valid frame.
 * @param onBadValue called (instead of throwing) for a frame whose length, version, kind and id are
 *   valid but whose value does not decode: the length prefix keeps the stream in sync, so only that
 *   one request fails, not the whole connection. Without it, such a frame throws like any other.
 */
export function createFrameReader(
  onFrame: (frame: Frame) => void,
  maxFrameBytes = MAX_FRAME_BYTES,
  onBadValue?: (id: number, error: StrongroomError) => void,
) {
  let chunks: Buffer[] = [];
  let buffered = 0;
  let expected = -1;

  function take(n: number): Buffer {
    // Fast path: the first chunk holds everything.
    const first = chunks[0]!;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) chunks.shift();
      else chunks[0] = first.subarray(n);
      buffered -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let o = 0;
    while (o < n) {
      const ch = chunks[0]!;
      const k = Math.min(ch.length, n - o);
      ch.copy(out, o, 0, k);
      o += k;
      if (k === ch.length) chunks.shift();
      else chunks[0] = ch.subarray(k);
    }
    buffered -= n;
    return out;
  }

  return {
    /** Feed bytes; calls onFrame for each complete frame. @throws StrongroomError MALFORMED / LIMIT_EXCEEDED. */
    push(chunk: Buffer): void {
      chunks.push(chunk);
      buffered += chunk.length;
      for (;;) {
        if (expected < 0) {
          if (buffered < 4) return;
          const len = take(4).readUInt32BE(0);
          if (len > maxFrameBytes) throw new StrongroomError('LIMIT_EXCEEDED', `hsm wire: frame length ${len} exceeds cap ${maxFrameBytes}`);
          if (len < HEADER_BYTES - 4 + 1) throw malformedWire(`frame length ${len} too short`);
          expected = len;
        }
        if (buffered < expected) return;
        const body = take(expected);
        expected = -1;
        let frame: Frame;
        try {
          frame = decodeFrameBody(body);
        } catch (e) {
          const id = frameIdOf(body);
          if (onBadValue === undefined || id === undefined || !StrongroomError.isInstance(e)) throw e;
          onBadValue(id, e);
          continue;
        }
        onFrame(frame);
      }
    },
    /** Drop buffered bytes (on close). */
    reset(): void {
      chunks = [];
      buffered = 0;
      expected = -1;
    },
  };
}
