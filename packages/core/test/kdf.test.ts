import { describe, expect, it } from 'vitest';
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
