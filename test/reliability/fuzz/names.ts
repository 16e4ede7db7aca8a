/**
 * Name-like fields in every generator (issue 18): key ids, aliases, tags, context keys, user names,
 * labels, S3 keys, metadata names. Besides ordinary strings they must draw the five names that reach
 * `Object.prototype` when a plain object is used as a map (OWASP, Prototype Pollution:
 * https://owasp.org/www-community/attacks/Prototype_Pollution; MDN, Object.prototype.__proto__).
 *
 * Shared with the property tests of the servers (item 14 of issue 18): import from here.
 */
import fc from 'fast-check';

/** The five names. */
export const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'] as const;

/** The five names, also inside the shapes the field usually has (`alias/__proto__`, `x-amz-meta-constructor` …). */
export function prototypeNameVariants(prefixes: readonly string[] = []): string[] {
  const out: string[] = [...PROTOTYPE_NAMES];
  for (const p of prefixes) for (const n of PROTOTYPE_NAMES) out.push(`${p}${n}`);
  return out;
}

/**
 * A name-like field: one of the five names (bare or with the given prefixes) one time in four,
 * otherwise `ordinary`.
 * @example nameLike(fc.string({ maxLength: 20 }), ['alias/'])
 */
export function nameLike(ordinary: fc.Arbitrary<string>, prefixes: readonly string[] = []): fc.Arbitrary<string> {
  return fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...prototypeNameVariants(prefixes)) }, { weight: 3, arbitrary: ordinary });
}

/** A string→string map (contexts, tags, metadata) whose keys are name-like; built with own properties, so `__proto__` is a key. */
export function nameLikeMap(value: fc.Arbitrary<string> = fc.string({ maxLength: 12 }), keys: fc.Arbitrary<string> = nameLike(fc.string({ maxLength: 12 })), maxKeys = 4): fc.Arbitrary<Record<string, string>> {
  return fc.array(fc.tuple(keys, value), { maxLength: maxKeys }).map((pairs) => {
    const o: Record<string, string> = {};
    for (const [k, v] of pairs) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    return o;
  });
}
