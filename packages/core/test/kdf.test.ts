import { describe, expect, it } from 'vitest';
import { hkdfSync } from 'node:crypto';
import { nodeBackend } from '../src/index';
import { nobleBackend } from '../src/noble';

// RFC 5869 Appendix A.1 (SHA-256) — test case 1.
const ikm = Buffer.alloc(22, 0x0b);
const salt = Buffer.from('000102030405060708090a0b0c', 'hex');
const info = Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex');
const prk = '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5';
const okm = '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865';

describe('HKDF (RFC 5869 A.1)', () => {
  for (const backend of [nodeBackend, nobleBackend]) {
    it(`${backend.name}: extract, expand and the composition match the RFC`, () => {
      const p = backend.hkdfExtract('sha256', ikm, salt);
      expect(Buffer.from(p).toString('hex')).toBe(prk);
      expect(Buffer.from(backend.hkdfExpand('sha256', p, info, 42)).toString('hex')).toBe(okm);
      expect(Buffer.from(backend.hkdf('sha256', ikm, salt, info, 42)).toString('hex')).toBe(okm);
    });
  }
});

describe('HKDF-Expand, every output length (node backend against node:crypto hkdfSync)', () => {
  const ikm2 = Buffer.from('strongroom kdf test input keying material');
  const salt2 = Buffer.from('a salt');
  const info2 = Buffer.from('some info');
  for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
    it(`${hash}: single-block, truncated and multi-block outputs match`, () => {
      for (const length of [1, 16, 31, 32, 33, 47, 48, 49, 63, 64, 65, 100, 129, 200]) {
        const expected = Buffer.from(hkdfSync(hash, ikm2, salt2, info2, length));
        expect(Buffer.from(nodeBackend.hkdf(hash, ikm2, salt2, info2, length)).toString('hex'), `${hash} ${length}`).toBe(expected.toString('hex'));
      }
    });
  }

  it('a truncated single block leaves no other key bytes in its buffer (the unused tail is wiped)', () => {
    const prk = nodeBackend.hkdfExtract('sha512', ikm2, salt2);
    const out = nodeBackend.hkdfExpand('sha512', prk, info2, 32);
    const whole = new Uint8Array(out.buffer, out.byteOffset, 64);
    expect(Buffer.from(whole.subarray(32)).equals(Buffer.alloc(32))).toBe(true);
    expect(Buffer.from(out).equals(Buffer.from(hkdfSync('sha512', ikm2, salt2, info2, 32)))).toBe(true);
  });
});
