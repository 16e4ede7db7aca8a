/** Strict envelope parsing: caps, allowlists, version mixing; fuzzed with fast-check. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { StrongroomError } from '@strongroom/core';
import { envelopeLocation, parseEnvelope, parseInstructionFile, serializeEnvelope } from '../src/index';

/** Names that collide with Object.prototype members; every name-like generator includes them. */
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];
const nameLike = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.string({ minLength: 1, maxLength: 20 }));

const key44 = Buffer.alloc(60, 1).toString('base64');
const iv12 = Buffer.alloc(12, 2).toString('base64');
const v2 = {
  'x-amz-key-v2': key44,
  'x-amz-iv': iv12,
  'x-amz-matdesc': '{}',
  'x-amz-wrap-alg': 'AES/GCM',
  'x-amz-cek-alg': 'AES/GCM/NoPadding',
  'x-amz-tag-len': '128',
};
const v3 = {
  'x-amz-c': '115',
  'x-amz-3': key44,
  'x-amz-w': '02',
  'x-amz-m': '{}',
  'x-amz-d': Buffer.alloc(28, 3).toString('base64'),
  'x-amz-i': Buffer.alloc(28, 4).toString('base64'),
};

const malformed = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(StrongroomError.isInstance(e, 'MALFORMED')).toBe(true);
    return;
  }
  throw new Error('expected MALFORMED');
};

describe('parseEnvelope', () => {
  it('parses V2 and V3', () => {
    expect(parseEnvelope(v2)).toMatchObject({ version: 2, wrapAlgorithm: 'AES/GCM', contentAlgorithm: 'gcm' });
    expect(parseEnvelope(v3)).toMatchObject({ version: 3, wrapAlgorithm: 'AES/GCM', contentAlgorithm: 'committing' });
    expect(envelopeLocation({})).toBe('instruction-file');
  });

  it('rejects mixing, bad algorithms, bad lengths and non-canonical base64', () => {
    malformed(() => parseEnvelope({ ...v2, 'x-amz-key': key44 }));
    malformed(() => parseEnvelope({ ...v2, 'x-amz-3': key44 }));
    malformed(() => parseEnvelope({ ...v3, 'x-amz-iv': iv12 }));
    malformed(() => parseEnvelope({ ...v2, 'x-amz-wrap-alg': 'ROT13' }));
    malformed(() => parseEnvelope({ ...v2, 'x-amz-cek-alg': 'AES/CTR/NoPadding' }));
    malformed(() => parseEnvelope({ ...v2, 'x-amz-tag-len': '96' }));
    malformed(() => parseEnvelope({ ...v2, 'x-amz-iv': Buffer.alloc(16).toString('base64') }));
    malformed(() => parseEnvelope({ ...v2, 'x-amz-iv': `${iv12.slice(0, -1)}-` }));
    // non-canonical: unused trailing bits set (decodes to the same bytes)
    const d = v3['x-amz-d'];
    const noncanonical = `${d.slice(0, d.indexOf('=') - 1)}${String.fromCharCode(d.charCodeAt(d.indexOf('=') - 1) + 1)}${d.slice(d.indexOf('='))}`;
    expect(Buffer.from(noncanonical, 'base64').equals(Buffer.from(d, 'base64'))).toBe(true);
    malformed(() => parseEnvelope({ ...v3, 'x-amz-d': noncanonical }));
    malformed(() => parseEnvelope({ ...v2, 'x-amz-key-v2': 'A'.repeat(9000) }));
    malformed(() => parseEnvelope({ ...v2, 'x-amz-matdesc': '[1]' }));
    malformed(() => parseEnvelope({ ...v2, 'x-amz-matdesc': '{"a":1}' }));
    malformed(() => parseEnvelope({ ...v2, 'x-amz-matdesc': JSON.stringify({ a: 'x'.repeat(20000) }) }));
    malformed(() => parseEnvelope({ ...v3, 'x-amz-w': '12' })); // x-amz-m with kms+context
    malformed(() => parseEnvelope({ ...v3, 'x-amz-d': Buffer.alloc(27).toString('base64') }));
    malformed(() => parseEnvelope({ ...v3, 'x-amz-c': 'AES/GCM/NoPadding' }));
    malformed(() => parseEnvelope({ ...v2, 'x-amz-unencrypted-content-length': '-1' }));
    malformed(() => parseEnvelope({ 'x-amz-iv': iv12 }));
    malformed(() => parseInstructionFile(Buffer.from('[]')));
    malformed(() => parseInstructionFile(Buffer.alloc(70_000, 32)));
    malformed(() => parseInstructionFile(Buffer.from([0xff, 0xfe])));
  });

  it('decodes RFC 2047 encoded matdesc values (S3 double encoding) and rejects bad ones', () => {
    const json = JSON.stringify({ tenant: 'Zürich ☃' });
    const b = `=?UTF-8?B?${Buffer.from(json).toString('base64')}?=`;
    expect(parseEnvelope({ ...v2, 'x-amz-matdesc': b }).materialsDescription).toEqual({ tenant: 'Zürich ☃' });
    const q = `=?UTF-8?Q?${[...Buffer.from(json)].map((c) => (c > 32 && c < 127 && c !== 61 && c !== 63 && c !== 95 ? String.fromCharCode(c) : `=${c.toString(16).padStart(2, '0').toUpperCase()}`)).join('')}?=`;
    expect(parseEnvelope({ ...v2, 'x-amz-matdesc': q }).materialsDescription).toEqual({ tenant: 'Zürich ☃' });
    malformed(() => parseEnvelope({ ...v2, 'x-amz-matdesc': `=?ISO-8859-1?B?${Buffer.from('{}').toString('base64')}?=` }));
    malformed(() => parseEnvelope({ ...v2, 'x-amz-matdesc': `=?UTF-8?B?${Buffer.from([0x7b, 0xff, 0x7d]).toString('base64')}?=` }));
  });

  it('fuzz: any metadata map either parses or throws a typed MALFORMED error', () => {
    const keys = [...Object.keys(v2), ...Object.keys(v3), 'x-amz-key', 'x-amz-unencrypted-content-length', 'other', ...PROTOTYPE_NAMES];
    const values = fc.oneof(fc.string(), fc.base64String(), fc.constantFrom(...Object.values(v2), ...Object.values(v3), '{}', '128', '12', '22'));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), values), fc.option(fc.dictionary(fc.constantFrom(...keys), values)), (md, instr) => {
        try {
          parseEnvelope(md, instr ?? undefined);
        } catch (e) {
          if (!StrongroomError.isInstance(e, 'MALFORMED')) throw e;
        }
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          parseInstructionFile(bytes);
        } catch (e) {
          if (!StrongroomError.isInstance(e, 'MALFORMED')) throw e;
        }
      }),
    );
  });

  it('fuzz: any materials description (prototype-named keys included) round-trips through serialize → parse', () => {
    fc.assert(
      fc.property(fc.dictionary(nameLike, fc.string({ maxLength: 30 }), { maxKeys: 8 }), fc.constantFrom(2 as const, 3 as const), (md, version) => {
        const env = parseEnvelope(version === 2 ? v2 : v3);
        const out = parseEnvelope(serializeEnvelope({ ...env, materialsDescription: md }, 'metadata').metadata).materialsDescription;
        expect(Object.keys(out).sort()).toEqual(Object.keys(md).sort());
        for (const k of Object.keys(md)) expect(Object.hasOwn(out, k) && out[k]).toBe(md[k]);
      }),
      { numRuns: 1000 },
    );
  });
});
