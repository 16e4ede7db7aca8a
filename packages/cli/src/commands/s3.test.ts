import { describe, expect, it } from 'vitest';
import { parseConcurrency, parseFormat, S3_CP_DEFAULTS, uploadPartSize } from './s3';

describe('s3 cp arguments', () => {
  it('--format: framed by default, v3 or v2 on request, nothing else', () => {
    expect(parseFormat(undefined)).toBe('framed');
    for (const f of ['framed', 'v3', 'v2']) expect(parseFormat(f)).toBe(f);
    for (const bad of ['', 'V3', 'v1', 'framed ', '__proto__']) expect(() => parseFormat(bad)).toThrow();
  });
  it('--concurrency: 1 … 64, else the direction default', () => {
    expect(parseConcurrency(undefined, 4)).toBe(4);
    expect(parseConcurrency('1', 4)).toBe(1);
    expect(parseConcurrency('64', 4)).toBe(64);
    for (const bad of ['0', '65', '-1', '1.5', '1e1', ' 2', 'two', '']) expect(() => parseConcurrency(bad, 4)).toThrow();
  });
  it('the upload part size: explicit, else 5 MiB, raised in whole 64 KiB frames for inputs over 10,000 parts', () => {
    expect(uploadPartSize(8 << 20, 1 << 40)).toBe(8 << 20);
    expect(uploadPartSize(undefined, undefined)).toBe(S3_CP_DEFAULTS.uploadPartSize);
    expect(uploadPartSize(undefined, 1 << 30)).toBe(5 << 20);
    const big = 100 * 1024 ** 3; // 100 GiB
    const part = uploadPartSize(undefined, big);
    expect(part % 65_536).toBe(0);
    expect(Math.ceil(big / part)).toBeLessThanOrEqual(10_000);
    expect(part).toBeGreaterThan(5 << 20);
  });
});
