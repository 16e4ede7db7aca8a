import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ecdsaDerToRaw, ecdsaRawToDer } from '../src/index';

describe('ECDSA DER <-> r‖s', () => {
  it('matches node:crypto ieee-p1363 and der encodings both ways', () => {
    for (const [curve, size] of [
      ['P-256', 32],
      ['P-384', 48],
    ] as const) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
      for (let i = 0; i < 50; i++) {
        const data = Buffer.from(`message ${i}`);
        // ECDSA is randomized: convert a p1363 signature and check node verifies the DER form
        const raw = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        const der = ecdsaRawToDer(raw);
        expect(Buffer.from(ecdsaDerToRaw(der, size)!)).toEqual(raw);
        const nodeDer = sign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
        expect(Buffer.from(ecdsaRawToDer(ecdsaDerToRaw(nodeDer, size)!))).toEqual(nodeDer);
      }
    }
  });

  it('handles leading zeros and high bits minimally', () => {
    const raw = new Uint8Array(64);
    raw[31] = 1; // r = 1
    raw[32] = 0x80; // s has the high bit set → needs a 0x00 pad
    const der = ecdsaRawToDer(raw);
    expect(Buffer.from(der).toString('hex')).toBe('3026' + '020101' + '022100' + '80' + '00'.repeat(31));
    expect(ecdsaDerToRaw(der, 32)).toEqual(raw);
  });

  it('rejects non-canonical DER', () => {
    const ok = Buffer.from('3006020101020101', 'hex');
    expect(ecdsaDerToRaw(ok, 32)).toBeDefined();
    for (const bad of [
      '3007020101020101', // wrong sequence length
      '300602010102010100', // trailing byte
      '30070202000102010101', // non-minimal integer
      '3006020181020101', // negative r
      '3106020101020101', // not a sequence
      '300602000201010000',
      '308106020101020101', // long form for a short length
    ]) {
      expect(ecdsaDerToRaw(Buffer.from(bad, 'hex'), 32)).toBeUndefined();
    }
    expect(ecdsaDerToRaw(Buffer.from('3008020201010202010101', 'hex'), 1)).toBeUndefined(); // too big for size
  });
});
