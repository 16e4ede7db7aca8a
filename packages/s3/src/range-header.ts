/**
 * HTTP Range and Content-Range with S3's semantics, shared by both entries (no Node import): parse
 * the caller's `Range`, resolve it against a plaintext length, check what a ranged GET returned.
 * spec: HTTP range requests, RFC 9110 §14 (a range that starts at or past the end is 416); S3
 * GetObject Range: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html (one range;
 * an end past the end is clamped; a suffix longer than the object is the whole object).
 */
import { malformed, StrongroomError } from '@strongroom/core';

/** A requested plaintext range: `bytes=start-end` or `bytes=start-` (end inclusive). */
export interface PlainRange {
  readonly start: number;
  readonly end: number | undefined;
}

const RANGE = /^bytes=(\d{1,16})-(\d{0,16})$/;
const SUFFIX = /^bytes=-(\d{1,16})$/;

/** Parse the Range header value; suffix ranges need the plaintext length. */
export function parseRange(range: string, plaintextLength?: number): PlainRange {
  const suffix = SUFFIX.exec(range);
  if (suffix) {
    if (plaintextLength === undefined) throw new StrongroomError('INTERNAL', 'suffix range needs the object length');
    const n = Number(suffix[1]);
    if (n === 0) throw notSatisfiable(range);
    return { start: Math.max(0, plaintextLength - n), end: plaintextLength - 1 };
  }
  const m = RANGE.exec(range);
  if (!m) throw new StrongroomError('INVALID_ARGUMENT', 'Range: only a single "bytes=start-end", "bytes=start-" or "bytes=-n" range is supported');
  const start = Number(m[1]);
  const end = m[2] === '' ? undefined : Number(m[2]);
  if (end !== undefined && end < start) throw new StrongroomError('INVALID_ARGUMENT', 'Range: end before start');
  return { start, end };
}

export function isSuffixRange(range: string): boolean {
  return SUFFIX.test(range);
}

/** S3's 416 InvalidRange, typed: INVALID_ARGUMENT with `details.status` 416. */
export function notSatisfiable(range: string): StrongroomError {
  return new StrongroomError('INVALID_ARGUMENT', `Range not satisfiable: ${range}`, { details: { status: 416 } });
}

/**
 * The inclusive plaintext bytes `range` selects in an object of `plaintextLength` bytes, as S3 answers:
 * a suffix longer than the object is the whole object; `bytes=-0`, a start at or past the end, and any
 * range of an empty object are 416; an end past the end is clamped.
 */
export function resolveRange(range: string, plaintextLength: number): { start: number; end: number } {
  const P = plaintextLength;
  if (P === 0) throw notSatisfiable(range);
  const r = isSuffixRange(range) ? parseRange(range, P) : parseRange(range);
  if (r.start >= P) throw notSatisfiable(range);
  return { start: r.start, end: Math.min(r.end ?? P - 1, P - 1) };
}

/** Parse `Content-Range: bytes a-b/total`. */
export function parseContentRange(v: string | undefined): { start: number; end: number; total: number } {
  const m = v ? /^bytes (\d{1,16})-(\d{1,16})\/(\d{1,16})$/.exec(v) : null;
  if (!m) throw new StrongroomError('MALFORMED', 'ranged GET response has no usable Content-Range');
  return { start: Number(m[1]), end: Number(m[2]), total: Number(m[3]) };
}

/** MALFORMED unless a ranged GET returned exactly bytes `start`-`end` of a `total`-byte object. */
export function checkContentRange(contentRange: string | undefined, start: number, end: number, total: number): void {
  const got = parseContentRange(contentRange);
  if (got.start !== start || got.end !== end || got.total !== total) {
    throw malformed(`The ranged GET returned bytes ${got.start}-${got.end}/${got.total}, not ${start}-${end}/${total}: the object changed or the server ignored the range`);
  }
}
