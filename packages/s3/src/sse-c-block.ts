/**
 * S3's SSE-C block. Since April 2026 Amazon S3 creates general purpose buckets with SSE-C writes
 * blocked, and blocked them on existing buckets of accounts without SSE-C objects: PutObject,
 * CopyObject, multipart uploads that specify SSE-C get HTTP 403 AccessDenied until the bucket's
 * default encryption configuration (PutBucketEncryption) no longer lists SSE-C in
 * `BlockedEncryptionTypes`. https://docs.aws.amazon.com/AmazonS3/latest/userguide/blocking-unblocking-s3-c-encryption-gpb.html
 * and https://docs.aws.amazon.com/AmazonS3/latest/API/API_BlockedEncryptionTypes.html
 *
 * A 403 AccessDenied looks the same whether the block or a missing permission caused it, so after
 * one, GetBucketEncryption tells which: when the bucket blocks SSE-C, the error says exactly what to
 * change; when it does not, the original error passes through.
 */
import { GetBucketEncryptionCommand, type S3Client } from '@aws-sdk/client-s3';
import { StrongroomError } from '@strongroom/core';

/** The change that allows SSE-C writes again (keeps SSE-S3 as the default encryption). */
export function unblockSseCCommand(bucket: string): string {
  const config = { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BlockedEncryptionTypes: { EncryptionType: ['NONE'] } }] };
  return `aws s3api put-bucket-encryption --bucket ${bucket} --server-side-encryption-configuration '${JSON.stringify(config)}'`;
}

const isAccessDenied = (e: unknown) =>
  (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 403 && ((e as { name?: string }).name === 'AccessDenied' || (e as { Code?: string }).Code === 'AccessDenied');

/**
 * The error to throw for a failed SSE-C write: a typed ACCESS_DENIED naming the fix when the bucket
 * blocks SSE-C, else `error` unchanged.
 */
export async function explainSseCWriteError(client: S3Client, bucket: string | undefined, error: unknown, abortSignal?: AbortSignal): Promise<unknown> {
  if (!bucket || !isAccessDenied(error)) return error;
  let blocked: boolean | undefined;
  try {
    const enc = await client.send(new GetBucketEncryptionCommand({ Bucket: bucket }), abortSignal ? { abortSignal } : {});
    blocked = (enc.ServerSideEncryptionConfiguration?.Rules ?? []).some((r) => (r.BlockedEncryptionTypes?.EncryptionType ?? []).includes('SSE-C'));
  } catch {
    blocked = undefined; // no s3:GetEncryptionConfiguration: cannot tell
  }
  if (blocked === false) return error;
  const fix = `To allow SSE-C writes, change the bucket's default encryption (needs s3:PutEncryptionConfiguration): ${unblockSseCCommand(bucket)}`;
  const message =
    blocked === true
      ? `S3 refused the SSE-C write (403 AccessDenied): bucket ${bucket} blocks SSE-C (BlockedEncryptionTypes: SSE-C, S3's default for new buckets since April 2026). ${fix}`
      : `S3 refused the SSE-C write (403 AccessDenied): either the credentials lack s3:PutObject, or bucket ${bucket} blocks SSE-C (S3's default for new buckets since April 2026; GetBucketEncryption was not allowed, so which one is unknown). ${fix}`;
  return new StrongroomError('ACCESS_DENIED', message, { cause: error });
}
