import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StrongroomError } from '@strongroom/core';
import { formatKeyUri, MAX_KEY_URI_LENGTH, parseKeyUri, type KeyUri } from './key-uri';

const isKeyUriError = (e: unknown) => StrongroomError.isInstance(e, 'INVALID_ARGUMENT') && e.details?.reason === 'KEY_URI';

function parseOrError(input: unknown): KeyUri | 'error' {
  try {
    return parseKeyUri(input);
  } catch (e) {
    if (!isKeyUriError(e)) throw e;
    return 'error';
  }
}

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
const uuid = fc.tuple(hex(8), hex(4), hex(4), hex(4), hex(12)).map((p) => p.join('-'));
const mrk = hex(32).map((h) => `mrk-${h}`);
const aliasName = fc.string({ unit: fc.constantFrom(...'abcXYZ019/_-'), minLength: 1, maxLength: 40 }).map((s) => `alias/${s}`);
const arn = fc.tuple(fc.constantFrom('aws', 'aws-cn', 'aws-us-gov'), fc.constantFrom('us-east-1', 'eu-west-3', 'ap-southeast-2'), fc.stringMatching(/^\d{12}$/), fc.oneof(uuid.map((u) => `key/${u}`), mrk.map((m) => `key/${m}`), aliasName))
  .map(([p, r, a, res]) => `arn:${p}:kms:${r}:${a}:${res}`);
const kmsKeyId = fc.oneof(uuid, mrk, aliasName, arn);
const label = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/);
const rawPart = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,30}$/).filter((s) => !s.startsWith('aws-kms'));
const validUri: fc.Arbitrary<KeyUri> = fc.oneof(
  kmsKeyId.map((keyId) => ({ kind: 'kms' as const, keyId })),
  kmsKeyId.map((keyId) => ({ kind: 'cks' as const, keyId })),
  label.map((l) => ({ kind: 'hsm' as const, label: l })),
  label.map((l) => ({ kind: 'pkcs11' as const, label: l })),
  fc.tuple(rawPart, rawPart).map(([namespace, name]) => ({ kind: 'raw-aes' as const, namespace, name })),
);

describe('parseKeyUri', () => {
  it('parses each kind', () => {
    expect(parseKeyUri('kms://alias/strongroom-dev')).toEqual({ kind: 'kms', keyId: 'alias/strongroom-dev' });
    expect(parseKeyUri('kms://arn:aws:kms:us-east-1:111122223333:key/0f0e0d0c-0b0a-0908-0706-050403020100')).toMatchObject({ kind: 'kms' });
    expect(parseKeyUri('hsm://strongroom-dev-kek')).toEqual({ kind: 'hsm', label: 'strongroom-dev-kek' });
    expect(parseKeyUri('cks://alias/x')).toEqual({ kind: 'cks', keyId: 'alias/x' });
    expect(parseKeyUri('raw-aes://my-app/key-1')).toEqual({ kind: 'raw-aes', namespace: 'my-app', name: 'key-1' });
    expect(parseKeyUri('pkcs11://app-kek')).toEqual({ kind: 'pkcs11', label: 'app-kek' });
  });

  it.each([
    ['', 'empty'],
    ['kms:/alias/x', 'no ://'],
    ['KMS://alias/x', 'scheme is case-sensitive'],
    ['http://alias/x', 'unknown scheme'],
    ['kms://', 'nothing after scheme'],
    ['kms://not-a-key', 'not a key id'],
    ['kms://alias/', 'empty alias'],
    ['kms://arn:aws:kms:us-east-1:1111:key/abc', 'bad ARN'],
    ['hsm://a b', 'space'],
    ['hsm://-x', 'label starts with dash'],
    ['hsm://x?y=1', 'query'],
    ['hsm://x#f', 'fragment'],
    ['hsm://x%41', 'percent-encoding'],
    ['hsm://é', 'non-ASCII'],
    ['raw-aes://only-one', 'no name'],
    ['raw-aes://a/b/c', 'too many parts'],
    ['raw-aes://aws-kms/x', 'reserved namespace'],
    [`hsm://${'a'.repeat(MAX_KEY_URI_LENGTH)}`, 'too long'],
  ])('rejects %j (%s) with a typed error', (input) => {
    expect(parseOrError(input)).toBe('error');
  });

  it('rejects non-strings with a typed error', () => {
    for (const v of [undefined, null, 1, {}, ['kms://alias/x']]) expect(parseOrError(v)).toBe('error');
  });

  it('fuzz: any string either parses to a canonical URI or fails with a KEY_URI error (10,000 cases)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 600 }), fc.string({ unit: 'binary', maxLength: 80 }), fc.constantFrom('kms://', 'hsm://', 'cks://', 'raw-aes://', 'pkcs11://').chain((s) => fc.string({ maxLength: 100 }).map((t) => s + t))), (input) => {
        const r = parseOrError(input);
        if (r !== 'error') expect(formatKeyUri(r)).toBe(input); // one spelling per key
      }),
      { numRuns: 10_000 },
    );
  });

  it('fuzz: valid URIs round-trip (10,000 cases)', () => {
    fc.assert(
      fc.property(validUri, (uri) => {
        expect(parseKeyUri(formatKeyUri(uri))).toEqual(uri);
      }),
      { numRuns: 10_000 },
    );
  });

  it('fuzz: a valid URI with one character changed still parses or fails cleanly (10,000 cases)', () => {
    fc.assert(
      fc.property(validUri, fc.nat(), fc.integer({ min: 0, max: 0x10ffff }), (uri, at, code) => {
        const s = formatKeyUri(uri);
        const i = at % s.length;
        const mutated = s.slice(0, i) + String.fromCodePoint(code) + s.slice(i + 1);
        const r = parseOrError(mutated);
        if (r !== 'error') expect(formatKeyUri(r)).toBe(mutated);
      }),
      { numRuns: 10_000 },
    );
  });
});
