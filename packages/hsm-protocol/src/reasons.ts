/**
 * Typed failure reasons: the `details.reason` a node (or the connection) attaches to a
 * `StrongroomError`, so that callers decide retries and messages on a closed set of values rather
 * than on free strings. The node sends `{ code, message, reason }` in an error frame
 * (docs/hsm-cluster.md#14-wire-protocol-and-performance); the connection rebuilds the StrongroomError with
 * `details.reason` and `details.node`.
 */
import { StrongroomError } from '@strongroom/core';

/** Every failure reason a node or connection may attach to an error (`details.reason`). */
export const HSM_FAILURE_REASONS = [
  /* sessions and roles (https://docs.aws.amazon.com/cloudhsm/latest/userguide/understanding-users.html) */
  'NOT_LOGGED_IN',
  'ALREADY_LOGGED_IN',
  'LOGIN_FAILED',
  'USER_LOCKED',
  'SESSION_EXPIRED',
  'PASSWORD_CHANGE_REQUIRED',
  'ADMIN_ONLY',
  'CRYPTO_USER_ONLY',
  'NODE_ONLY',
  /* quorum (https://docs.aws.amazon.com/cloudhsm/latest/userguide/quorum-auth-chsm-cli-service-names.html) */
  'QUORUM_REQUIRED',
  /* keys (https://docs.aws.amazon.com/cloudhsm/latest/userguide/cloudhsm_cli-key-attributes-table.html) */
  'KEY_FUNCTION_NOT_PERMITTED',
  'NOT_OWNER',
  'ADMIN_ONLY_ATTRIBUTE',
  'ADMIN_NO_KEY_MANAGEMENT',
  'KEY_UNEXTRACTABLE',
  'KEY_NOT_WRAPPABLE',
  /* a cluster client's key availability check (https://docs.aws.amazon.com/cloudhsm/latest/userguide/manage-key-sync.html) */
  'KEY_AVAILABILITY',
  /* capacity and node health */
  'LIMIT',
  'THROTTLED',
  'TAMPERED',
  /* the link to the node (set by the connection, never by a node) */
  'CONNECTION',
] as const;

/** One of {@link HSM_FAILURE_REASONS}. */
export type HsmFailureReason = (typeof HSM_FAILURE_REASONS)[number];

const KNOWN: ReadonlySet<string> = new Set(HSM_FAILURE_REASONS);

/**
 * The typed failure reason of an error from a node or a connection, or undefined when the error
 * carries none (or one this version does not know, e.g. an errno code after a failed disk write).
 */
export function failureReason(e: unknown): HsmFailureReason | undefined {
  if (!StrongroomError.isInstance(e)) return undefined;
  const r = e.details?.reason;
  return typeof r === 'string' && KNOWN.has(r) ? (r as HsmFailureReason) : undefined;
}

/** True when `e` is an error whose reason is one of `reasons`. */
export function hasFailureReason(e: unknown, ...reasons: HsmFailureReason[]): boolean {
  const r = failureReason(e);
  return r !== undefined && reasons.includes(r);
}

/** A typed error with a reason, as a node or the cluster client raises it. */
export function reasonError(code: ConstructorParameters<typeof StrongroomError>[0], message: string, reason: HsmFailureReason, details: Record<string, unknown> = {}): StrongroomError {
  return new StrongroomError(code, message, { details: { ...details, reason } });
}
