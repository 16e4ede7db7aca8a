/**
 * Mapping PKCS#11 return values (CKR_*) to StrongroomError codes (PKCS#11 v2.40 base spec §5.1,
 * "Function return values"). The message names the CKR constant and the function; the pkcs11js
 * error stays as `cause`.
 *
 * AES-GCM tag failures have no dedicated CKR in v2.40: modules return CKR_ENCRYPTED_DATA_INVALID,
 * CKR_GENERAL_ERROR (SoftHSMv2, docs/hsm-provider.md) or, in v3.0, CKR_AEAD_DECRYPT_FAILED; callers of
 * authenticated decryption pass `authenticating: true` so those become AUTHENTICATION_FAILED.
 */
import { StrongroomError, type StrongroomErrorCode } from '@strongroom/core';

const BY_NAME: Record<string, StrongroomErrorCode> = {
  CKR_PIN_INCORRECT: 'ACCESS_DENIED',
  CKR_PIN_INVALID: 'ACCESS_DENIED',
  CKR_PIN_LEN_RANGE: 'ACCESS_DENIED',
  CKR_PIN_EXPIRED: 'ACCESS_DENIED',
  CKR_PIN_LOCKED: 'ACCESS_DENIED',
  CKR_USER_NOT_LOGGED_IN: 'ACCESS_DENIED',
  CKR_USER_PIN_NOT_INITIALIZED: 'ACCESS_DENIED',
  CKR_USER_TYPE_INVALID: 'ACCESS_DENIED',
  CKR_USER_ANOTHER_ALREADY_LOGGED_IN: 'ACCESS_DENIED',
  CKR_KEY_FUNCTION_NOT_PERMITTED: 'ACCESS_DENIED',
  CKR_KEY_UNEXTRACTABLE: 'ACCESS_DENIED',
  CKR_KEY_NOT_WRAPPABLE: 'ACCESS_DENIED',
  CKR_ATTRIBUTE_READ_ONLY: 'ACCESS_DENIED',
  CKR_ATTRIBUTE_SENSITIVE: 'ACCESS_DENIED',
  CKR_ACTION_PROHIBITED: 'ACCESS_DENIED',
  CKR_SESSION_READ_ONLY: 'ACCESS_DENIED',
  CKR_TOKEN_WRITE_PROTECTED: 'ACCESS_DENIED',

  CKR_KEY_HANDLE_INVALID: 'KEY_UNAVAILABLE',
  CKR_OBJECT_HANDLE_INVALID: 'KEY_UNAVAILABLE',
  CKR_KEY_TYPE_INCONSISTENT: 'KEY_UNAVAILABLE',
  CKR_KEY_CHANGED: 'KEY_UNAVAILABLE',
  CKR_KEY_NEEDED: 'KEY_UNAVAILABLE',
  CKR_KEY_INDIGESTIBLE: 'KEY_UNAVAILABLE',
  CKR_TOKEN_NOT_PRESENT: 'KEY_UNAVAILABLE',
  CKR_TOKEN_NOT_RECOGNIZED: 'KEY_UNAVAILABLE',
  CKR_SLOT_ID_INVALID: 'KEY_UNAVAILABLE',

  CKR_ENCRYPTED_DATA_INVALID: 'AUTHENTICATION_FAILED',
  CKR_ENCRYPTED_DATA_LEN_RANGE: 'AUTHENTICATION_FAILED',
  CKR_SIGNATURE_INVALID: 'AUTHENTICATION_FAILED',
  CKR_SIGNATURE_LEN_RANGE: 'AUTHENTICATION_FAILED',
  CKR_AEAD_DECRYPT_FAILED: 'AUTHENTICATION_FAILED',

  CKR_MECHANISM_INVALID: 'UNSUPPORTED',
  CKR_MECHANISM_PARAM_INVALID: 'UNSUPPORTED',
  CKR_FUNCTION_NOT_SUPPORTED: 'UNSUPPORTED',
  CKR_DOMAIN_PARAMS_INVALID: 'UNSUPPORTED',
  CKR_CURVE_NOT_SUPPORTED: 'UNSUPPORTED',
  CKR_ATTRIBUTE_TYPE_INVALID: 'UNSUPPORTED',

  CKR_ARGUMENTS_BAD: 'INVALID_ARGUMENT',
  CKR_DATA_INVALID: 'INVALID_ARGUMENT',
  CKR_DATA_LEN_RANGE: 'INVALID_ARGUMENT',
  CKR_ATTRIBUTE_VALUE_INVALID: 'INVALID_ARGUMENT',
  CKR_TEMPLATE_INCOMPLETE: 'INVALID_ARGUMENT',
  CKR_TEMPLATE_INCONSISTENT: 'INVALID_ARGUMENT',
  CKR_KEY_SIZE_RANGE: 'INVALID_ARGUMENT',

  CKR_FUNCTION_CANCELED: 'ABORTED',
};

/** CKR values (PKCS#11 v3.0) that pkcs11js 2.x has no constant for. */
const EXTRA_NAMES: ReadonlyMap<number, string> = new Map([[0x35, 'CKR_AEAD_DECRYPT_FAILED']]);

/** Session-level failures after which a session must not go back to the pool. */
const SESSION_FATAL = new Set([
  'CKR_SESSION_HANDLE_INVALID',
  'CKR_SESSION_CLOSED',
  'CKR_DEVICE_REMOVED',
  'CKR_DEVICE_ERROR',
  'CKR_TOKEN_NOT_PRESENT',
  'CKR_OPERATION_ACTIVE',
  'CKR_CRYPTOKI_NOT_INITIALIZED',
]);

export interface CkrNames {
  name(code: number): string;
}

/** Build the numeric → name table from the loaded pkcs11js constants. */
export function ckrNames(mod: object): CkrNames {
  const table = new Map<number, string>(EXTRA_NAMES);
  for (const [key, value] of Object.entries(mod)) {
    if (key.startsWith('CKR_') && typeof value === 'number' && !table.has(value)) table.set(value, key);
  }
  return { name: (code) => table.get(code) ?? `CKR_0x${code.toString(16).padStart(8, '0')}` };
}

interface Pkcs11LikeError {
  name?: string;
  code?: number;
  message?: string;
}

/** The CKR name of a pkcs11js error, or undefined when it is not a PKCS#11 error. */
export function ckrOf(error: unknown, names: CkrNames): string | undefined {
  const e = error as Pkcs11LikeError | null;
  if (typeof e !== 'object' || e === null) return undefined;
  if (typeof e.message === 'string' && /^CKR_[A-Z0-9_]+$/.test(e.message)) return e.message;
  if (e.name === 'Pkcs11Error' && typeof e.code === 'number') return names.name(e.code);
  return undefined;
}

/** True when the session that produced `error` must be closed rather than reused. */
export function isSessionFatal(error: unknown, names: CkrNames): boolean {
  const ckr = ckrOf(error, names);
  return ckr === undefined || SESSION_FATAL.has(ckr);
}

/** Translate any error thrown by a pkcs11js call into a StrongroomError. */
export function mapPkcs11Error(
  error: unknown,
  names: CkrNames,
  fn: string,
  context: { authenticating?: boolean } = {},
): StrongroomError {
  if (StrongroomError.isInstance(error)) return error;
  const ckr = ckrOf(error, names);
  if (ckr === undefined) {
    const msg = error instanceof Error ? error.message : String(error);
    return new StrongroomError('PROVIDER_ERROR', `PKCS#11 ${fn} failed: ${msg}`, { cause: error });
  }
  let code: StrongroomErrorCode = BY_NAME[ckr] ?? 'PROVIDER_ERROR';
  if (context.authenticating && (ckr === 'CKR_GENERAL_ERROR' || ckr === 'CKR_DATA_LEN_RANGE')) {
    code = 'AUTHENTICATION_FAILED';
  }
  const hint = code === 'AUTHENTICATION_FAILED' ? ' (ciphertext, tag or AAD did not verify)' : '';
  return new StrongroomError(code, `PKCS#11 ${fn} failed: ${ckr}${hint}`, {
    cause: error,
    details: { ckr, function: fn },
  });
}
