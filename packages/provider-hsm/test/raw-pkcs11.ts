/**
 * Test-only access to the same PKCS#11 library through pkcs11js directly, to plant keys with
 * known values so the tests can check HSM results against node:crypto (an independent
 * implementation). It shares the process's initialization and login with `openPkcs11`.
 */
import { createRequire } from 'node:module';
import type * as Pkcs11Js from 'pkcs11js';

const P = createRequire(import.meta.url)('pkcs11js') as typeof Pkcs11Js;

export function rawSession(library: string, tokenLabel: string) {
  const p11 = new P.PKCS11();
  p11.load(library);
  try {
    p11.C_Initialize({ flags: P.CKF_OS_LOCKING_OK });
  } catch (error) {
    if ((error as Error).message !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') throw error;
  }
  const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trimEnd() === tokenLabel);
  if (!slot) throw new Error(`no token ${tokenLabel}`);
  const session = p11.C_OpenSession(slot, P.CKF_SERIAL_SESSION | P.CKF_RW_SESSION);
  return {
    P,
    p11,
    session,
    /** Import a secret key with a known value (token object, labelled). */
    importSecret(label: string, value: Buffer, kind: 'aes' | 'generic'): void {
      p11.C_CreateObject(session, [
        { type: P.CKA_CLASS, value: P.CKO_SECRET_KEY },
        { type: P.CKA_KEY_TYPE, value: kind === 'aes' ? P.CKK_AES : P.CKK_GENERIC_SECRET },
        { type: P.CKA_TOKEN, value: true },
        { type: P.CKA_PRIVATE, value: true },
        { type: P.CKA_LABEL, value: label },
        { type: P.CKA_VALUE, value },
        { type: P.CKA_ENCRYPT, value: kind === 'aes' },
        { type: P.CKA_DECRYPT, value: kind === 'aes' },
        { type: P.CKA_SIGN, value: kind === 'generic' },
        { type: P.CKA_VERIFY, value: kind === 'generic' },
      ]);
    },
    close(): void {
      p11.C_CloseSession(session);
    },
  };
}
