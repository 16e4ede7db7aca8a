/**
 * The S3 servers the suites run against, as factories for `describe.each`: s3rver (zero-install, a
 * fake: no SSE-C, no listing or aborting of multipart uploads) and Ceph RGW (a production S3
 * implementation, started once per run by rgw-global.ts). Without RGW its suites skip with a printed
 * reason, or fail under STRONGROOM_REQUIRE_ALL_SUITES=1.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { requireOrSkip } from './ruby';
import { type LocalS3, s3ClientFor, startS3 } from './s3rver';

export type S3ServerFactory = () => Promise<LocalS3>;

/** A fresh bucket on the run's RGW (throws when RGW is not running). */
export async function startRgwS3(prefix = 'strongroom-test'): Promise<LocalS3> {
  const rgw = inject('rgw');
  if ('unavailable' in rgw) throw new Error(`RGW is not running: ${rgw.unavailable}`);
  const client = s3ClientFor(rgw.endpoint, { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey });
  const bucket = `${prefix}-${randomBytes(5).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    kind: 'rgw',
    endpoint: rgw.endpoint,
    port: Number(new URL(rgw.endpoint).port),
    bucket,
    client,
    async close() {
      client.destroy();
    },
  };
}

/** RGW's availability in this run: undefined when it runs, else why not. */
export function rgwSkipReason(): string | undefined {
  const rgw = inject('rgw');
  return 'unavailable' in rgw ? rgw.unavailable : undefined;
}

/** The servers to run `suite` against: s3rver always, RGW where it runs (else skip/fail per requireOrSkip). */
export function s3Servers(suite: string): Array<[LocalS3['kind'], S3ServerFactory]> {
  const list: Array<[LocalS3['kind'], S3ServerFactory]> = [['s3rver', () => startS3()]];
  if (requireOrSkip(rgwSkipReason(), `${suite} on Ceph RGW`)) list.push(['rgw', () => startRgwS3()]);
  return list;
}

/** Only the real servers (for behaviour s3rver does not implement). */
export function realS3Servers(suite: string): Array<[LocalS3['kind'], S3ServerFactory]> {
  return s3Servers(suite).filter(([kind]) => kind !== 's3rver');
}
