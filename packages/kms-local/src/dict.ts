/**
 * Dictionaries keyed by outside strings. An ordinary object inherits from Object.prototype, so a
 * key named `__proto__` reads or replaces the prototype and `constructor`/`toString` find inherited
 * functions (ECMA-262 §10.1 ordinary objects, Annex B.2.2.1 `Object.prototype.__proto__`). Every
 * map kms-local keys by a caller's string — key ids, aliases, tag keys, custom key store ids,
 * encryption contexts, request bodies — is an object with a null prototype, made here.
 */

/** An empty dictionary with no prototype: every key is an own property or absent. */
export function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** A null-prototype copy of `source`'s own enumerable entries (mapped by `revive`). */
export function dictFrom<T>(source: unknown, revive: (value: unknown, key: string) => T = (v) => v as T): Record<string, T> {
  const out = dict<T>();
  if (typeof source !== 'object' || source === null || Array.isArray(source)) return out;
  for (const [k, v] of Object.entries(source)) out[k] = revive(v, k);
  return out;
}

/** The own value of `key`, never an inherited one (for objects that may have a prototype). */
export function own<T>(source: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(source, key) ? source[key] : undefined;
}

/**
 * JSON.parse where every object has a null prototype, so a member named `__proto__` is an own
 * member like any other (RFC 8259 §4 leaves names free; JSON.parse defines them as own data
 * properties, and the copy keeps them so).
 */
export function parseJsonDict(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) =>
    typeof value === 'object' && value !== null && !Array.isArray(value) ? dictFrom(value) : value,
  );
}
