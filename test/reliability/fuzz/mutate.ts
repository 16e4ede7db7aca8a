/**
 * Mutations of valid inputs, the classic mutation-based fuzzing operators (bit flips, truncation,
 * insertion, interesting 32-bit values; see "The Fuzzing Book", Mutation-Based Fuzzing:
 * https://www.fuzzingbook.org/html/MutationFuzzer.html), for bytes and for strings.
 */
import fc from 'fast-check';

export type ByteEdit =
  | { readonly kind: 'flip'; readonly at: number; readonly value: number }
  | { readonly kind: 'cut'; readonly at: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'u32'; readonly at: number; readonly value: number }
  | { readonly kind: 'u16'; readonly at: number; readonly value: number };

/** 1–4 byte edits. */
export const byteEdits: fc.Arbitrary<ByteEdit[]> = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff) }),
    fc.record({ kind: fc.constant('u16' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0x7fff, 0x8000, 0xffff) }),
  ),
  { minLength: 1, maxLength: 4 },
);

/**
 * Apply edits to a copy of `input`; positions fall in [from, to) of the input (default: all of it),
 * so a target can aim at one region (a message's frames, its footer).
 */
export function mutateBytes(input: Uint8Array, edits: readonly ByteEdit[], from = 0, to = input.length): Buffer {
  let b = Buffer.from(input);
  let end = to;
  for (const e of edits) {
    const span = Math.max(1, Math.min(end, b.length) - from);
    const at = Math.min(b.length, from + (e.at % span));
    if (e.kind === 'flip') {
      if (at < b.length) b[at]! ^= e.value;
    } else if (e.kind === 'cut') {
      b = b.subarray(0, at);
      end = Math.min(end, at);
    } else if (e.kind === 'insert') {
      b = Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
      end += e.bytes.length;
    } else if (e.kind === 'u32') {
      if (at + 4 <= b.length) b.writeUInt32BE(e.value, at);
    } else if (at + 2 <= b.length) b.writeUInt16BE(e.value, at);
  }
  return b;
}

/** 1–3 string edits: a deletion or an insertion of a short string or a troublesome token. */
export const stringEdits: fc.Arbitrary<Array<[number, string]>> = fc.array(
  fc.tuple(
    fc.nat(),
    fc.oneof(
      fc.constant(''),
      fc.string({ maxLength: 4 }),
      fc.constantFrom('"', '{', '}', '[', ']', ':', ',', '=', '/', '\\', '\\u0000', '\u0000', '\uffff', '\ud800', '9999999999', '-1', '1e308', 'null', 'true', '=?UTF-8?B?', '__proto__', 'constructor'),
    ),
  ),
  { minLength: 1, maxLength: 3 },
);

export function mutateString(s: string, edits: ReadonlyArray<readonly [number, string]>): string {
  for (const [at, ins] of edits) {
    const i = at % Math.max(1, s.length + 1);
    s = ins === '' ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + ins + s.slice(i);
  }
  return s;
}

/** A JSON value with one part replaced: drop a key, change a value's type, add a name-like key. */
export function replaceAt(value: unknown, path: readonly number[], replacement: unknown, depth = 0): unknown {
  if (depth >= path.length || value === null || typeof value !== 'object') return replacement;
  if (Array.isArray(value)) {
    if (value.length === 0) return [replacement];
    const i = path[depth]! % value.length;
    const copy = [...value];
    copy[i] = replaceAt(copy[i], path, replacement, depth + 1);
    return copy;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement;
  const k = keys[path[depth]! % keys.length]!;
  const copy: Record<string, unknown> = {};
  for (const key of keys) Object.defineProperty(copy, key, { value: (value as Record<string, unknown>)[key], enumerable: true, writable: true, configurable: true });
  Object.defineProperty(copy, k, { value: replaceAt(copy[k], path, replacement, depth + 1), enumerable: true, writable: true, configurable: true });
  return copy;
}
