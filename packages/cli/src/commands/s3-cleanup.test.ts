import { describe, expect, it } from 'vitest';
import { parseAge, parseBucketPrefix } from './s3-cleanup';

describe('s3 cleanup arguments', () => {
  it('parses ages', () => {
    expect(parseAge('0')).toBe(0);
    expect(parseAge('90s')).toBe(90_000);
    expect(parseAge('12h')).toBe(12 * 3_600_000);
    expect(parseAge('7d')).toBe(7 * 86_400_000);
    for (const bad of ['7', '-1d', '1w', '', '1e3s', '3651d']) expect(() => parseAge(bad)).toThrow();
  });
  it('parses s3://bucket[/prefix]', () => {
    expect(parseBucketPrefix('s3://my-bucket')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(parseBucketPrefix('s3://my-bucket/a/b/')).toEqual({ bucket: 'my-bucket', prefix: 'a/b/' });
    for (const bad of ['my-bucket', 's3://B', 's3://x', 's3://ok-bucket/a\u0000b']) expect(() => parseBucketPrefix(bad)).toThrow();
  });
});
