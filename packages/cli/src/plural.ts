/**
 * Counted nouns in messages: "1 key", "2 keys" (CLDR English plural rules: "one" for exactly 1,
 * "other" otherwise — https://cldr.unicode.org/index/cldr-spec/plural-rules).
 */

/** `count` and the noun, singular for exactly 1; `plural` defaults to the noun + "s". */
export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? noun : pluralNoun}`;
}
