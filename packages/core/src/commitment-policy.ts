/**
 * Commitment policy, as in the AWS Encryption SDK (spec: framework/commitment-policy.md).
 * The default requires key commitment on both encrypt and decrypt.
 */
import { StrongroomError } from './errors';
import type { AlgorithmSuite } from './suites';

/**
 * The commitment policies, as in the AWS Encryption SDK (spec: framework/commitment-policy.md).
 *
 * @example
 * ```ts
 * // While migrating from v1 messages: write committing messages, still read old ones.
 * createClient({ keyProvider, commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT });
 * ```
 */
export const CommitmentPolicy = {
  /** Write committing (v2) messages; read only committing messages. The default. */
  REQUIRE_ENCRYPT_REQUIRE_DECRYPT: 'REQUIRE_ENCRYPT_REQUIRE_DECRYPT',
  /** Write committing messages; also read legacy (v1) messages. For migrations. */
  REQUIRE_ENCRYPT_ALLOW_DECRYPT: 'REQUIRE_ENCRYPT_ALLOW_DECRYPT',
  /** Write legacy v1 messages (for readers that predate commitment); read both. */
  FORBID_ENCRYPT_ALLOW_DECRYPT: 'FORBID_ENCRYPT_ALLOW_DECRYPT',
} as const;
/** One of the {@link CommitmentPolicy} values. */
export type CommitmentPolicy = (typeof CommitmentPolicy)[keyof typeof CommitmentPolicy];

export function checkPolicy(policy: unknown): CommitmentPolicy {
  if (policy === undefined) return CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT;
  if (typeof policy === 'string' && Object.hasOwn(CommitmentPolicy, policy)) return policy as CommitmentPolicy;
  throw new StrongroomError('INVALID_ARGUMENT', `commitmentPolicy: expected one of ${Object.keys(CommitmentPolicy).join(', ')}`);
}

export function checkEncryptSuite(policy: CommitmentPolicy, suite: AlgorithmSuite): void {
  const forbid = policy === CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT;
  if (suite.committing === forbid) {
    throw new StrongroomError(
      'COMMITMENT_POLICY',
      forbid
        ? `Commitment policy ${policy} forbids the committing suite ${suite.name}`
        : `Commitment policy ${policy} requires a committing suite (0x0478 or 0x0578), not ${suite.name}`,
    );
  }
}

/** spec: client-apis/decrypt.md — enforce the policy on the suite before any key is unwrapped. */
export function checkDecryptSuite(policy: CommitmentPolicy, suite: AlgorithmSuite): void {
  if (policy === CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT && !suite.committing) {
    throw new StrongroomError(
      'COMMITMENT_POLICY',
      `The message uses the non-committing suite ${suite.name}; commitment policy ${policy} refuses it (use REQUIRE_ENCRYPT_ALLOW_DECRYPT to read legacy messages)`,
    );
  }
}
