import { describe, expect, it } from 'vitest';
import { StrongroomError } from '@strongroom/core';
import { ckrNames, isSessionFatal, mapPkcs11Error } from '../src/pkcs11/errors';
import { loadPkcs11js } from '../src/pkcs11/load';

// The shape pkcs11js gives its errors: name 'Pkcs11Error', message = the CKR name, numeric code.
function pkcs11Error(name: string, code: number) {
  return Object.assign(new Error(name), { name: 'Pkcs11Error', code });
}
const names = ckrNames({ CKR_GENERAL_ERROR: 5, CKR_PIN_INCORRECT: 0xa0, CKR_SESSION_HANDLE_INVALID: 0xb3, CKR_KEY_HANDLE_INVALID: 0x60 });

describe('CKR → StrongroomError mapping', () => {
  it('maps by CKR name, keeps the cause and names the function', () => {
    const cause = pkcs11Error('CKR_PIN_INCORRECT', 0xa0);
    const e = mapPkcs11Error(cause, names, 'C_Login');
    expect(StrongroomError.isInstance(e, 'ACCESS_DENIED')).toBe(true);
    expect(e.message).toBe('PKCS#11 C_Login failed: CKR_PIN_INCORRECT');
    expect(e.cause).toBe(cause);
    expect(e.details).toEqual({ ckr: 'CKR_PIN_INCORRECT', function: 'C_Login' });
    expect(mapPkcs11Error(pkcs11Error('CKR_KEY_HANDLE_INVALID', 0x60), names, 'C_EncryptInit').code).toBe('KEY_UNAVAILABLE');
    expect(mapPkcs11Error(pkcs11Error('CKR_MECHANISM_INVALID', 0x70), names, 'C_SignInit').code).toBe('UNSUPPORTED');
    expect(mapPkcs11Error(pkcs11Error('CKR_DEVICE_ERROR', 0x30), names, 'C_Sign').code).toBe('PROVIDER_ERROR');
  });

  it('treats CKR_GENERAL_ERROR as a failed tag only during authenticated decryption', () => {
    const general = pkcs11Error('CKR_GENERAL_ERROR', 5);
    expect(mapPkcs11Error(general, names, 'C_Decrypt', { authenticating: true }).code).toBe('AUTHENTICATION_FAILED');
    expect(mapPkcs11Error(general, names, 'C_Encrypt').code).toBe('PROVIDER_ERROR');
    // v3.0 CKR_AEAD_DECRYPT_FAILED (0x35) has no pkcs11js constant: found by number
    const aead = Object.assign(new Error('something'), { name: 'Pkcs11Error', code: 0x35 });
    expect(mapPkcs11Error(aead, names, 'C_Decrypt').code).toBe('AUTHENTICATION_FAILED');
  });

  it('names unknown codes in hex and passes StrongroomErrors through', () => {
    const unknown = Object.assign(new Error('x'), { name: 'Pkcs11Error', code: 0x80000001 });
    expect(mapPkcs11Error(unknown, names, 'C_X').message).toContain('CKR_0x80000001');
    const own = new StrongroomError('INVALID_ARGUMENT', 'mine');
    expect(mapPkcs11Error(own, names, 'C_X')).toBe(own);
    expect(mapPkcs11Error(new TypeError('bad arg'), names, 'C_X').code).toBe('PROVIDER_ERROR');
  });

  it('retires sessions only on session-level or non-PKCS#11 failures', () => {
    expect(isSessionFatal(pkcs11Error('CKR_SESSION_HANDLE_INVALID', 0xb3), names)).toBe(true);
    expect(isSessionFatal(pkcs11Error('CKR_GENERAL_ERROR', 5), names)).toBe(false);
    expect(isSessionFatal(new Error('native crash'), names)).toBe(true);
  });

  it('loading a missing pkcs11js is UNSUPPORTED with install advice', async () => {
    await expect(loadPkcs11js('pkcs11js-absent-for-test')).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringContaining('npm install pkcs11js'),
    });
  });
});
