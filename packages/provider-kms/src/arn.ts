/**
 * KMS key identifiers and Multi-Region key matching.
 * spec: aws-encryption-sdk-specification framework/aws-kms/aws-kms-key-arn.md (ARN parsing, "AWS KMS
 * MRK Match for Decrypt"): two identifiers match when they are equal, or when both are
 * multi-Region keys (`mrk-` resource ids) whose ARNs agree on everything but the Region.
 */

export interface KmsArn {
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  readonly resourceType: 'key' | 'alias';
  readonly resourceId: string;
}

/** Parse a KMS key or alias ARN; undefined when `value` is not one. */
export function parseKmsArn(value: string): KmsArn | undefined {
  if (!value.startsWith('arn:')) return undefined;
  const parts = value.split(':');
  if (parts.length < 6) return undefined;
  const [, partition, service, region, accountId] = parts;
  const resource = parts.slice(5).join(':');
  if (!partition || service !== 'kms' || !region || !accountId) return undefined;
  const slash = resource.indexOf('/');
  if (slash <= 0) return undefined;
  const resourceType = resource.slice(0, slash);
  const resourceId = resource.slice(slash + 1);
  if ((resourceType !== 'key' && resourceType !== 'alias') || resourceId === '') return undefined;
  return { partition, region, accountId, resourceType, resourceId };
}

/** True for multi-Region key ids (`mrk-…`), given as a bare id or a key ARN. Aliases are never MRKs. */
export function isMultiRegionKey(identifier: string): boolean {
  const arn = parseKmsArn(identifier);
  if (arn) return arn.resourceType === 'key' && arn.resourceId.startsWith('mrk-');
  return identifier.startsWith('mrk-');
}

/** spec: aws-kms-mrk-match-for-decrypt.md */
export function mrkMatch(a: string, b: string): boolean {
  if (a === b) return true;
  if (!isMultiRegionKey(a) || !isMultiRegionKey(b)) return false;
  const x = parseKmsArn(a);
  const y = parseKmsArn(b);
  if (!x || !y) return false;
  return x.partition === y.partition && x.accountId === y.accountId && x.resourceType === y.resourceType && x.resourceId === y.resourceId;
}

/** The Region an identifier names, or undefined for bare ids and alias names. */
export function regionOf(identifier: string): string | undefined {
  return parseKmsArn(identifier)?.region;
}

/** The same ARN in another Region (used to decrypt MRK ciphertexts with the local replica). */
export function withRegion(arn: string, region: string): string {
  const parts = arn.split(':');
  parts[3] = region;
  return parts.join(':');
}
