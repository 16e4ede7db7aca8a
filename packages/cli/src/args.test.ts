import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContext, parseDuration, parseList, parsePositiveInt, parseS3Url, parseSize } from './args';
import { plural } from './plural';
import { UsageError } from './exit';

describe('command-line value parsers', () => {
  it('parses --context pairs strictly', () => {
    expect(parseContext(['a=b', 'c=d=e', 'empty='])).toEqual({ a: 'b', c: 'd=e', empty: '' });
    expect(parseContext(undefined)).toEqual({});
    for (const bad of [['novalue'], ['=v'], ['a=1', 'a=2'], ['aws-crypto-public-key=x'], [`k=${'v'.repeat(2000)}`]]) {
      expect(() => parseContext(bad)).toThrow(UsageError);
    }
    expect(() => parseContext(Array.from({ length: 65 }, (_, i) => `k${i}=v`))).toThrow(UsageError);
  });

  it('parses sizes, durations and lists', () => {
    expect(parseSize('1KiB', '--payload')).toBe(1024);
    expect(parseSize('1MiB', '--payload')).toBe(1048576);
    expect(parseSize('4096', '--payload')).toBe(4096);
    expect(parseDuration('10s', '--duration')).toBe(10_000);
    expect(parseDuration('250ms', '--duration')).toBe(250);
    expect(parseList('1,16,1', '--concurrency', Number)).toEqual([1, 16]);
    for (const bad of ['', '1TiB', '-1', '1.5KiB', '2GiB', 'KiB']) expect(() => parseSize(bad, '--payload')).toThrow(UsageError);
    for (const bad of ['', '5ms', '0s', '2h', 'soon']) expect(() => parseDuration(bad, '--duration')).toThrow(UsageError);
    expect(() => parseList('1,,2', '--x', Number)).toThrow(UsageError);
  });

  it('parses positive integers up to the flag\'s maximum, ten digits and more included', () => {
    expect(parsePositiveInt('1000000000', '--requests-per-month', 1e12)).toBe(1e9);
    expect(parsePositiveInt('1000000000000', '--requests-per-month', 1e12)).toBe(1e12);
    for (const bad of ['0', '-1', '1e9', '1.5', '', '1000000000001', '99999999999999999']) expect(() => parsePositiveInt(bad, '--requests-per-month', 1e12)).toThrow(UsageError);
  });

  it('counts nouns: 1 key, 2 keys', () => {
    expect(plural(1, 'key')).toBe('1 key');
    expect(plural(0, 'key')).toBe('0 keys');
    expect(plural(2, 'HSM')).toBe('2 HSMs');
    expect(plural(1_000_000, 'operation')).toBe('1,000,000 operations');
  });

  it('parses s3:// URLs', () => {
    expect(parseS3Url('s3://strongroom-dev/a/b.txt')).toEqual({ bucket: 'strongroom-dev', key: 'a/b.txt' });
    expect(parseS3Url('./local')).toBeUndefined();
    for (const bad of ['s3://', 's3://b', 's3://Bucket/k', 's3://strongroom-dev/', 's3://strongroom-dev/a\nb']) expect(() => parseS3Url(bad)).toThrow(UsageError);
  });

  it('fuzz: the parsers only ever throw UsageError (10,000 cases)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        for (const f of [() => parseSize(s, '--x'), () => parseDuration(s, '--x'), () => parseS3Url(s), () => parseContext([s])]) {
          try {
            f();
          } catch (e) {
            expect(e).toBeInstanceOf(UsageError);
          }
        }
      }),
      { numRuns: 10_000 },
    );
  });
});
