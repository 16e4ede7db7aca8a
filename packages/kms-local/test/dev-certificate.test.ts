/**
 * The development certificate's DER. Its serial number is 16 random bytes: the old builder cleared the
 * top bit only, so one certificate in 256 started its serial with a zero byte followed by a byte below
 * 0x80 — a non-minimal INTEGER that OpenSSL refuses ("illegal padding"), and `strongroom dev` then
 * failed to start kms-local now and then.
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDevCertificate } from '../src/index';
import { positiveInteger } from '../src/dev-certificate';

describe('dev certificate DER', () => {
  it('INTEGERs are minimal: leading zero bytes dropped, one zero kept before a top bit', () => {
    expect([...positiveInteger(Buffer.from([0x00, 0x12, 0x34]))]).toEqual([0x02, 0x02, 0x12, 0x34]);
    expect([...positiveInteger(Buffer.from([0x00, 0x00, 0x92]))]).toEqual([0x02, 0x02, 0x00, 0x92]);
    expect([...positiveInteger(Buffer.from([0x92]))]).toEqual([0x02, 0x02, 0x00, 0x92]);
    expect([...positiveInteger(Buffer.from([0x00]))]).toEqual([0x02, 0x01, 0x00]);
  });

  it('2,000 certificates in a row all parse, each with a positive 16-byte serial', () => {
    const serials = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const { certPem } = createDevCertificate();
      const serial = new X509Certificate(certPem).serialNumber;
      expect(serial).toMatch(/^[0-7][0-9A-F]{31}$/);
      serials.add(serial);
    }
    expect(serials.size).toBe(2000);
  });
});
