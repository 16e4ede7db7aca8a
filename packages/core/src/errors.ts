/**
 * One error class for the whole SDK (after vercel/ai's AISDKError: a stable `code`, `cause`, and
 * `isInstance` through a `Symbol.for` marker).
 *
 * `code` is stable and documented; `message` is for humans and may change. `isInstance` works
 * across duplicate copies of this package (ESM + CJS, or two versions in one tree) because it
 * checks a `Symbol.for` marker rather than the constructor identity.
 */
const MARKER = Symbol.for('strongroom.error');

/** Stable error codes. Every thrown StrongroomError carries one of these. */
export type StrongroomErrorCode =
  /** A caller-supplied argument is of the wrong type, length or range. */
  | 'INVALID_ARGUMENT'
  /** Input bytes are not a well-formed message/object/request (parse failure, cap exceeded). */
  | 'MALFORMED'
  /** An authentication tag, key commitment or signature did not verify. */
  | 'AUTHENTICATION_FAILED'
  /** The message's suite or version is not allowed by the commitment policy. */
  | 'COMMITMENT_POLICY'
  /** Encryption context is invalid, or does not match what the caller expected. */
  | 'ENCRYPTION_CONTEXT'
  /** No configured key provider could decrypt any encrypted data key. */
  | 'NO_DECRYPTION_KEY'
  /** A configured limit (EDK count, frame length, bytes per data key, …) was exceeded. */
  | 'LIMIT_EXCEEDED'
  /** A key provider / backend failed; `cause` holds the backend error. */
  | 'PROVIDER_ERROR'
  /** The key backend refused access (credentials, permissions, lockout). */
  | 'ACCESS_DENIED'
  /** The key named does not exist or is not usable in its current state. */
  | 'KEY_UNAVAILABLE'
  /** The operation was aborted through an AbortSignal. */
  | 'ABORTED'
  /** The operation is not supported by this backend or build. */
  | 'UNSUPPORTED'
  /** A persistent-state / I/O problem (disk full, read-only directory, torn file). */
  | 'IO_ERROR'
  /** Anything that should not happen; please report. */
  | 'INTERNAL';

/** Options of a {@link StrongroomError}: the underlying `cause` and machine-readable `details`. */
export interface StrongroomErrorOptions {
  cause?: unknown;
  /** Extra machine-readable detail; never contains key material or plaintext. */
  details?: Record<string, unknown>;
}

/**
 * The one error class of the SDK: a stable `code` (docs/errors.md), a message that says the next step, and the backend's error as `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await client.decrypt(ciphertext);
 * } catch (error) {
 *   if (StrongroomError.isInstance(error, 'AUTHENTICATION_FAILED')) console.error('tampered or wrong key');
 *   else throw error;
 * }
 * ```
 */
export class StrongroomError extends Error {
  readonly code: StrongroomErrorCode;
  readonly details: Record<string, unknown> | undefined;
  private readonly [MARKER] = true;

  constructor(code: StrongroomErrorCode, message: string, options: StrongroomErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = code === 'ABORTED' ? 'AbortError' : 'StrongroomError';
    this.code = code;
    this.details = options.details;
  }

  /** True for any StrongroomError, from any copy of this package; optionally of a given code. */
  static isInstance(error: unknown, code?: StrongroomErrorCode): error is StrongroomError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[MARKER] === true &&
      (code === undefined || (error as StrongroomError).code === code)
    );
  }
}

/** Shorthand used across the SDK: throw a typed error unless `condition` holds. */
export function needs(condition: unknown, code: StrongroomErrorCode, message: string): asserts condition {
  if (!condition) throw new StrongroomError(code, message);
}

/** A StrongroomError for a malformed input; used by every decoder. */
export function malformed(message: string): StrongroomError {
  return new StrongroomError('MALFORMED', message);
}

/** Throw an `AbortError` if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new StrongroomError('ABORTED', 'The operation was aborted', { cause: signal.reason });
  }
}
