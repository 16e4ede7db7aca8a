import { describe, expect, it } from 'vitest';
import { aesGcmDecrypt, aesGcmEncrypt, aesKeyUnwrap, aesKeyWrap } from './mechanisms';
import { pooledRandomBytes } from './random-pool';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('mechanisms', () => {
  it('AES key wrap matches RFC 3394 §4.6 (256-bit KEK, 256-bit key data)', () => {
    const kek = hex('000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F');
    const data = hex('00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F');
    const want = hex('28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21');
    expect(aesKeyWrap(kek, data, false)).toEqual(want);
    expect(aesKeyUnwrap(kek, want, false)).toEqual(data);
  });

  it('AES key wrap with padding matches RFC 5649 §6 (20-octet key)', () => {
    const kek = hex('5840df6e29b02af1 ab493b705bf16ea1 ae8338f4dcc176a8');
    const data = hex('c37b7e6492584340 bed1220780894115 5068f738');
    const want = hex('138bdeaa9b8fa7fc 61f97742e72248ee 5ae6ae5360d1ae6a 5f54f373fa543b6a');
    expect(aesKeyWrap(kek, data, true)).toEqual(want);
    expect(aesKeyUnwrap(kek, want, true)).toEqual(data);
    const bad = Buffer.from(want);
    bad[0]! ^= 1;
    expect(() => aesKeyUnwrap(kek, bad, true)).toThrow(/integrity/);
    expect(() => aesKeyWrap(kek, data, false)).toThrow(/multiple of 8/);
  });

  it('AES-GCM generates distinct IVs and authenticates AAD', () => {
    const key = pooledRandomBytes(32);
    const a = aesGcmEncrypt(key, Buffer.from('pt'), Buffer.from('aad'));
    const b = aesGcmEncrypt(key, Buffer.from('pt'), Buffer.from('aad'));
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(aesGcmDecrypt(key, a.iv, a.ciphertext, a.tag, Buffer.from('aad')).toString()).toBe('pt');
    expect(() => aesGcmDecrypt(key, a.iv, a.ciphertext, a.tag, Buffer.from('other'))).toThrow(/did not verify/);
  });
});
