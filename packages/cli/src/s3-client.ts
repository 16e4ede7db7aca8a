/**
 * The S3Client of the dev stack's S3 section, apart from ./clients.ts so that commands without S3
 * never load the S3 SDK. Same deadlines as every CLI client (./clients.ts).
 */
import { S3Client } from '@aws-sdk/client-s3';
import { deadlines } from './clients';
import type { DevS3Section } from './dev-config';

/** An S3Client for the dev stack's local S3 (or any endpoint of the same shape). */
export function s3ClientFor(s3: DevS3Section): S3Client {
  return new S3Client({
    requestHandler: deadlines(),
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    // s3rver stores aws-chunked (streamed, checksummed) bodies verbatim: send plain bodies.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
