/**
 * `strongroom s3 cleanup [--older-than DURATION] [--dry-run] s3://bucket[/prefix]`: list and abort the
 * multipart uploads that `s3 cp` (EncryptedS3Client) started and never finished — a killed upload
 * leaves its parts behind, billed until aborted (ListMultipartUploads / AbortMultipartUpload:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpu-abort-incomplete-mpu-lifecycle-config.html).
 * Uploads other clients started are left alone; docs/s3.md has the bucket lifecycle rule that
 * aborts every incomplete upload after some days.
 */
import { cleanupUploads } from '@strongroom/s3';
import { s3ClientFor } from '../s3-client';
import { UsageError } from '../exit';
import type { CliContext } from './context';

export interface S3CleanupOptions {
  olderThan?: string;
  dryRun?: boolean;
}

const UNIT: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `12h`, `7d`, `0` → milliseconds (at most 3650 days). */
export function parseAge(value: string): number {
  const m = /^(\d{1,6})([smhd])?$/.exec(value.trim());
  if (!m || (m[1] !== '0' && !m[2])) throw new UsageError(`--older-than ${JSON.stringify(value.slice(0, 40))}: expected a duration such as 12h or 7d`);
  const ms = Number(m[1]) * (m[2] ? UNIT[m[2]]! : 0);
  if (ms > 3650 * UNIT.d!) throw new UsageError('--older-than: at most 3650d');
  return ms;
}

/** s3://bucket or s3://bucket/prefix (a prefix may be empty). */
export function parseBucketPrefix(value: string): { bucket: string; prefix: string } {
  if (!value.startsWith('s3://')) throw new UsageError('s3 cleanup: expected s3://bucket[/prefix]');
  const rest = value.slice(5);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? '' : rest.slice(slash + 1);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new UsageError(`${JSON.stringify(value.slice(0, 80))}: bad bucket name`);
  if (prefix.length > 1024 || /[\u0000-\u001f\u007f]/.test(prefix)) throw new UsageError(`${JSON.stringify(value.slice(0, 80))}: bad prefix`);
  return { bucket, prefix };
}

export async function runS3Cleanup(ctx: CliContext, target: string, o: S3CleanupOptions): Promise<void> {
  const { bucket, prefix } = parseBucketPrefix(target);
  const olderThanMs = o.olderThan === undefined ? UNIT.d! : parseAge(o.olderThan);
  const config = ctx.config();
  const client = s3ClientFor(config.s3);
  try {
    const r = await cleanupUploads(client, { bucket, ...(prefix ? { prefix } : {}), olderThanMs, dryRun: o.dryRun === true, abortSignal: ctx.signal });
    const verb = o.dryRun ? 'would abort' : 'aborted';
    for (const u of r.stale) ctx.print(`${verb} s3://${bucket}/${u.key} (upload ${u.uploadId}, started ${u.initiated?.toISOString() ?? '?'})`);
    for (const k of r.orphanMarkers) ctx.print(`${o.dryRun ? 'would delete' : 'deleted'} stale marker s3://${bucket}/${k}`);
    ctx.print(`${r.stale.length} stale upload(s) ${verb}; ${r.skipped} other upload(s) left alone (recent, or not started by strongroom)`);
  } finally {
    client.destroy();
  }
}
