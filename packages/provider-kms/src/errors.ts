/**
 * Mapping of AWS KMS errors to StrongroomError codes. The AWS error is kept intact as `cause`, so
 * `$metadata` (HTTP status, request id, attempts) and `$fault` stay available.
 */
import { StrongroomError, type StrongroomErrorCode } from '@strongroom/core';
import { isClockSkewError } from './retry';

// Keyed by the error name the endpoint sends: null prototype, so `toString` or `__proto__` finds nothing.
const CODES: Readonly<Record<string, StrongroomErrorCode>> = Object.assign(Object.create(null), {
  AccessDeniedException: 'ACCESS_DENIED',
  UnrecognizedClientException: 'ACCESS_DENIED',
  InvalidSignatureException: 'ACCESS_DENIED',
  IncompleteSignatureException: 'ACCESS_DENIED',
  MissingAuthenticationTokenException: 'ACCESS_DENIED',
  ExpiredTokenException: 'ACCESS_DENIED',
  InvalidGrantTokenException: 'ACCESS_DENIED',
  NotFoundException: 'KEY_UNAVAILABLE',
  DisabledException: 'KEY_UNAVAILABLE',
  KMSInvalidStateException: 'KEY_UNAVAILABLE',
  KeyUnavailableException: 'KEY_UNAVAILABLE',
  InvalidArnException: 'KEY_UNAVAILABLE',
  InvalidCiphertextException: 'AUTHENTICATION_FAILED',
  IncorrectKeyException: 'AUTHENTICATION_FAILED',
  // The configured key is of the wrong kind for the call (e.g. a SIGN_VERIFY key asked to Decrypt).
  InvalidKeyUsageException: 'INVALID_ARGUMENT',
  // e.g. GetPublicKey of a symmetric key.
  UnsupportedOperationException: 'UNSUPPORTED',
  AbortError: 'ABORTED',
});

export function toStrongroomError(error: unknown, operation: string, keyId: string, attempts: number): StrongroomError {
  if (StrongroomError.isInstance(error)) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number; requestId?: string } };
  if (isClockSkewError(error)) {
    // Say "clock", not the server's generic "check your secret access key".
    return new StrongroomError(
      'ACCESS_DENIED',
      `KMS ${operation} with key ${keyId} failed: this machine's clock differs from the KMS server's by more than 5 minutes (clock skew, ${e.name ?? 'Error'}), ` +
        `even after correcting the SDK's clock offset and retrying. Synchronize the system clock (NTP) and retry.`,
      { cause: error, details: { operation, keyId, attempts, reason: 'CLOCK_SKEW', awsErrorName: e.name, httpStatusCode: e.$metadata?.httpStatusCode, requestId: e.$metadata?.requestId } },
    );
  }
  const code = (e.name !== undefined && CODES[e.name]) || 'PROVIDER_ERROR';
  const what = e.name ?? 'Error';
  return new StrongroomError(code, `KMS ${operation} with key ${keyId} failed: ${what}: ${e.message ?? String(error)}`, {
    cause: error,
    details: {
      operation,
      keyId,
      attempts,
      awsErrorName: e.name,
      httpStatusCode: e.$metadata?.httpStatusCode,
      requestId: e.$metadata?.requestId,
    },
  });
}
